// `roost devnet` (= `npm start`) as a newcomer runs it: the whole network in one command. The built CLI
// in a child process brings up the chain, the coordinator, two miners and the faucet's drip service;
// an app is served through the official openai client with the printed API key; Ctrl-C stops
// everything; a restart resumes the same network. With --with-cheater, the network catches the third
// miner's fakes, its slash executes, and `roost nodes` shows it jailed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, type DevnetFile, roostContracts } from "@roost/chain";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cai, demoAddress, roost } from "./helpers.js";
import { type Cli, listening, MAIN, spawnDevnet } from "./spawn-cli.js";

const JAILED = 2;
const CHEATER = "0xBcd4042DE499D14e55001CcbB24a551F3b954096"; // account 10 of the devnet mnemonic

let root: string;
let home: string;
let running: Cli | undefined;

interface NetworkFile extends DevnetFile {
  coordinator: { url: string; operator: string; apiKey: string };
  web: string;
}

async function start(...extra: string[]) {
  const { cli } = await spawnDevnet(home, ...extra);
  running = cli;
  const file = JSON.parse(readFileSync(join(home, "devnet.json"), "utf8")) as NetworkFile;
  const { publicClient } = createRoostClients({ chainId: file.chainId, rpcUrls: [file.rpcUrl] });
  return { cli, file, contracts: roostContracts(file, publicClient) };
}

async function stop(cli: Cli) {
  cli.child.kill("SIGINT");
  const exit = await cli.exited;
  running = undefined;
  return exit;
}

const cli = (argv: readonly string[], as?: number) =>
  roost(["--deployment", join(home, "devnet.json"), ...argv], root, as === undefined ? {} : { as });

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`build the CLI first (npm run build): no ${MAIN}`);
  root = mkdtempSync(join(tmpdir(), "roost-devnet-network-"));
  home = join(root, ".roost");
});
afterAll(async () => {
  if (running) {
    running.child.kill("SIGTERM");
    await running.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

describe("roost devnet: the whole network", { timeout: 120_000 }, () => {
  it("runs a coordinator and two miners that serve an app, and a faucet that pays the gas", async () => {
    const { cli: devnet, file, contracts } = await start();
    const out = devnet.stdout();
    expect(out).toMatch(/^Roost devnet deployed and running in \d+\.\d s$/m);
    expect(out).toContain(`coordinator  ${file.coordinator.url} (operator ${demoAddress(2)})`);
    expect(out).toContain(`app API key  ${file.coordinator.apiKey}`);
    expect(out).toContain(`POST ${file.web}/api/faucet/drip`);
    for (const step of ["starting the coordinator", "registering the miner 1", "starting miner 2"]) {
      expect(devnet.stderr()).toContain(step);
    }
    // On chain as the design says: 2,000,000 and 20,000 CAI self-stake, operator keys not the owners'.
    const coordinator = await contracts.staking.read.getNode([demoAddress(2)]);
    expect(coordinator).toMatchObject({
      owner: demoAddress(1),
      selfStake: cai(2_000_000),
      endpoint: file.coordinator.url,
    });
    for (const [owner, operator] of [
      [3, 4],
      [5, 6],
    ] as const) {
      expect(await contracts.staking.read.getNode([demoAddress(operator)])).toMatchObject({
        owner: demoAddress(owner),
        selfStake: cai(20_000),
        status: 1,
      });
    }

    const openai = new OpenAI({
      baseURL: `${file.coordinator.url}/v1`,
      apiKey: file.coordinator.apiKey,
      maxRetries: 0,
    });
    const chat = await openai.chat.completions.create({
      model: "roost-demo/tiny-random-llama",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 8,
    });
    expect(chat.usage?.completion_tokens).toBe(8);
    const image = await openai.images.generate({
      model: "roost-demo/procedural-image",
      prompt: "a hen",
      size: "256x256",
    });
    expect(
      Buffer.from(image.data?.[0]?.b64_json ?? "", "base64")
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");

    // A newcomer without ETH gets CAI through the drip service; a second drip is refused until the cooldown.
    const drip = (address: string) =>
      fetch(`${file.web}/api/faucet/drip`, { method: "POST", body: JSON.stringify({ address }) });
    const first = await drip(demoAddress(8));
    expect(first.status).toBe(200);
    expect(await contracts.token.read.balanceOf([demoAddress(8)])).toBe(cai(25_000));
    const again = await drip(demoAddress(8));
    expect(again.status).toBe(429);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/claim again at/);
    const bad = await drip("0x123");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: "address" } });

    expect(await stop(devnet)).toEqual({ code: 0, signal: null });
    const url = new URL(file.coordinator.url);
    expect(await listening(Number(url.port))).toBe(false);
    expect(await listening(Number(new URL(file.web).port))).toBe(false);
  });

  it("resumes the same network after a restart: the same app key works, the nodes are not registered twice", async () => {
    const before = JSON.parse(readFileSync(join(home, "devnet.json"), "utf8")) as NetworkFile;
    const { cli: devnet, file, contracts } = await start();
    expect(devnet.stdout()).toMatch(/^Roost devnet resumed and running in \d+\.\d s$/m);
    expect(devnet.stderr()).not.toContain("registering");
    expect(file.coordinator.apiKey).toBe(before.coordinator.apiKey);
    expect(await contracts.staking.read.nodeCount([0])).toBe(2n);
    const openai = new OpenAI({
      baseURL: `${file.coordinator.url}/v1`,
      apiKey: file.coordinator.apiKey,
      maxRetries: 0,
    });
    const image = await openai.images.generate({
      model: "roost-demo/procedural-image",
      prompt: "again",
      size: "256x256",
    });
    expect(image.data).toHaveLength(1);
    expect(await stop(devnet)).toEqual({ code: 0, signal: null });
  });

  it("with --with-cheater catches the cheating miner: its slash executes and roost nodes shows it jailed", async () => {
    const { cli: devnet, contracts } = await start("--with-cheater");
    expect(devnet.stdout()).toContain(`operator ${CHEATER}) fakes half its results`);
    // The demo app's images reach the cheater; a spot check catches a fake and the slash is proposed.
    const deadline = Date.now() + 90_000;
    while ((await contracts.disputes.read.proposalCount()) === 0n) {
      if (Date.now() > deadline) throw new Error(`no slash proposed:\n${devnet.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await contracts.disputes.read.getProposal([0n])).miner).toBe(CHEATER);
    // Past the devnet's 60 s challenge window, the devnet's keeper executes it.
    expect((await cli(["devnet", "advance", "2m"])).code).toBe(0);
    await devnet.waitFor(/slash proposal #0 against 0x\w+ executed: the miner is jailed/, 30_000);
    expect((await contracts.staking.read.getNode([CHEATER])).status).toBe(JAILED);
    const nodes = await cli(["nodes", "miners"]);
    expect(nodes.stdout).toMatch(new RegExp(`${CHEATER}.*jailed`, "i"));
    expect(await stop(devnet)).toEqual({ code: 0, signal: null });
  });
});
