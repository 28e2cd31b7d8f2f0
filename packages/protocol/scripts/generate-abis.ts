// Writes src/generated/abis.ts from the forge artifacts in contracts/out (see render-abis.ts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { renderAbis } from "./render-abis.js";

const artifactsDir = fileURLToPath(new URL("../../../contracts/out", import.meta.url));
const outFile = fileURLToPath(new URL("../src/generated/abis.ts", import.meta.url));

let source: string;
try {
  source = renderAbis(artifactsDir);
} catch (error) {
  console.error(`generate-abis: ${(error as Error).message}`);
  process.exit(1);
}

let current: string | undefined;
try {
  current = readFileSync(outFile, "utf8");
} catch {}
if (source !== current) {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, source);
  console.log(`generate-abis: wrote ${outFile}`);
}
