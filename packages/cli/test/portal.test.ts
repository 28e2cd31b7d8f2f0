// `roost portal serve`: the built portal and the deployment's description for it, on 127.0.0.1, for
// any deployment (here a devnet), until stopped; paths outside the portal are refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.js";
import { startTestNet, type TestNet } from "./helpers.js";

let net: TestNet;

beforeAll(async () => {
  net = await startTestNet();
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

describe("roost portal serve", () => {
  it("serves the portal and the deployment it talks to until stopped", async () => {
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let stdout = "";
    const running = run(
      ["--json", "portal", "serve", "--port", "0", "--coordinator", "https://api.example.org"],
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: () => {},
        env: {},
        cwd: net.root,
      },
      () => stopped,
    );
    const deadline = Date.now() + 10_000;
    while (!stdout.includes("url") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const { url } = JSON.parse(stdout) as { url: string };

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain('<div id="root">');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const asset = await fetch(`${url}${script}`);
    expect(asset.headers.get("cache-control")).toContain("immutable");

    const described = (await (await fetch(`${url}/api/devnet`)).json()) as Record<string, unknown>;
    expect(described).toMatchObject({
      chainId: 31337,
      contracts: net.devnet.file.contracts,
      coordinatorUrl: "https://api.example.org",
    });
    expect(described).not.toHaveProperty("demoAccounts"); // no dev wallet outside the devnet
    expect((await fetch(`${url}/api/faucet/drip`, { method: "POST", body: "{}" })).status).toBe(404);
    for (const path of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
    ]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
    stop();
    expect(await running).toBe(0);
  });

  it("refuses a coordinator that is not a URL", async () => {
    const result = await net.cli(["portal", "serve", "--coordinator", "api.example.org"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--coordinator must be an http(s) URL, got "api.example.org"');
  });
});
