#!/usr/bin/env node
// The `roost` command.
import { promptPassword } from "@roost/chain";
import { run } from "./program.js";

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  interactive: process.stderr.isTTY === true,
  ...(process.stdin.isTTY ? { prompt: (question: string) => promptPassword(question) } : {}),
});
process.exitCode = code;
