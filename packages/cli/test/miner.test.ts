// `roost miner` end to end: a devnet with a registered coordinator and miners, the real coordinator
// node, and `roost miner start` on the built-in backends serving an app's chat and image through it;
// then `roost miner earnings` and a redemption.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, roostContracts } from "@roost/chain";
import type { CoordinatorNode } from "@roost/coordinator";
import OpenAI from "openai";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  account,
  COORDINATOR,
  MINERS,
  privateKeyOf,
  startNetworkWithNode,
  type TestNetwork,
} from "../../coordinator/test/fixtures/network.js";
import { runCli, until } from "./running-cli.js";

const GAS = { gas: 1_000_000n };
const dir = mkdtempSync(join(tmpdir(), "roost-miner-cli-"));
let network: TestNetwork;
let coordinator: CoordinatorNode;

let stopNetwork: () => Promise<void>;

beforeAll(async () => {
  ({ network, node: coordinator, stop: stopNetwork } = await startNetworkWithNode());
  // The miners find the coordinator by its on-chain endpoint: point it at this node's port.
  await network.send(COORDINATOR.owner, (c) =>
    c.staking.write.updateNode(
      [account(COORDINATOR.operator).address, 1_000, "ipfs://intro", coordinator.url],
      GAS,
    ),
  );
}, 60_000);

afterAll(async () => {
  await stopNetwork?.();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (argv: string[], key: number, stopped?: Promise<void>) =>
  runCli(
    { deployment: network.devnet.path, rpcUrl: network.devnet.rpcUrl, cwd: dir },
    argv,
    privateKeyOf(key),
    stopped,
  );

describe("roost miner", { timeout: 60_000 }, () => {
  it("says exactly what is missing when the operator key is not a registered miner", async () => {
    const staker = cli(["miner", "start", "--journal", join(dir, "x.db")], 7);
    expect(await staker.done, staker.err()).toBe(2);
    expect(staker.err()).toContain(
      `operator ${account(7).address} is not registered: run roost register miner`,
    );
    const owner = cli(["miner", "start", "--journal", join(dir, "y.db")], COORDINATOR.operator);
    expect(await owner.done).toBe(2);
    expect(owner.err()).toContain("is registered as a coordinator, not a miner");
  });

  it("refuses wrong settings naming the field, and a backend that does not answer, before polling anyone", async () => {
    const settings = (name: string, json: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(json));
      return path;
    };
    const typo = cli(
      [
        "miner",
        "start",
        "--config",
        settings("typo.json", { backends: [{ kind: "a1111", url: "127.0.0.1:7860", models: ["sd"] }] }),
      ],
      MINERS[0].operator,
    );
    expect(await typo.done).toBe(2);
    expect(typo.err()).toContain("miner settings: backends[0].url: must be an http(s) URL");

    writeFileSync(join(dir, "bad.json"), "{ backends");
    const remote = cli(["miner", "start", "--backend", "a1111"], MINERS[0].operator);
    expect(await remote.done).toBe(2);
    expect(remote.err()).toContain("an a1111 backend needs its URL and models: put it in --config");
    const notJson = cli(["miner", "start", "--config", join(dir, "bad.json")], MINERS[0].operator);
    expect(await notJson.done).toBe(2);
    expect(notJson.err()).toMatch(/bad\.json is not valid JSON/);
    const notObject = cli(["miner", "start", "--config", settings("list.json", [])], MINERS[0].operator);
    expect(await notObject.done).toBe(2);
    expect(notObject.err()).toContain("miner settings: (settings): must be a JSON object");

    const down = cli(
      [
        "miner",
        "start",
        "--journal",
        join(dir, "down.db"),
        "--config",
        settings("down.json", { backends: [{ kind: "a1111", url: "http://127.0.0.1:9", models: ["sd"] }] }),
      ],
      MINERS[0].operator,
    );
    expect(await down.done).toBe(2);
    expect(down.err()).toContain("checking the a1111 backend (sd)...");
    expect(down.err()).toMatch(/a1111 backend: .*http:\/\/127\.0\.0\.1:9/);
    expect(coordinator.services.dispatcher.presence.list()).toEqual([]);

    const noKey = cli(
      [
        "miner",
        "start",
        "--config",
        settings("nokey.json", {
          backends: [
            {
              kind: "openai",
              url: "http://127.0.0.1:9/v1",
              models: ["m"],
              apiKeyEnv: "ROOST_TEST_UNSET_KEY",
            },
          ],
        }),
      ],
      MINERS[0].operator,
    );
    expect(await noKey.done).toBe(2);
    expect(noKey.err()).toContain(
      "openai backend: its API key is read from the environment variable ROOST_TEST_UNSET_KEY (apiKeyEnv), which is not set",
    );
  });

  it("serves an app's chat and image on the built-in backends, then shows and redeems its earnings", async () => {
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const journal = join(dir, "miner.db");
    const miner = cli(["miner", "start", "--journal", journal], MINERS[0].operator, stopped);
    const operator = account(MINERS[0].operator).address;
    await until(
      () => coordinator.services.dispatcher.presence.online().some((m) => m.operator === operator),
      `the miner to poll (stderr: ${miner.err()})`,
    );
    expect(miner.err()).toContain(`coordinator ${coordinator.services.operator} at ${coordinator.url}`);

    const openai = new OpenAI({
      baseURL: `${coordinator.url}/v1`,
      apiKey: coordinator.services.apiKeys.create("miner e2e").plaintext,
      maxRetries: 0,
    });
    const chat = await openai.chat.completions.create({
      model: "roost-demo/tiny-random-llama",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(chat.choices[0]?.finish_reason).toBe("length");
    expect(chat.usage?.completion_tokens).toBe(8);
    const again = await openai.chat.completions.create({
      model: "roost-demo/tiny-random-llama",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(again.choices[0]?.message.content).toBe(chat.choices[0]?.message.content); // greedy: same answer

    const image = await openai.images.generate({
      model: "roost-demo/procedural-image",
      prompt: "a hen on a roost",
      size: "256x256",
    });
    const png = Buffer.from(image.data?.[0]?.b64_json ?? "", "base64");
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(256);

    stop();
    expect(await miner.done).toBe(0);

    const shown = cli(["--json", "miner", "earnings", "--journal", journal], MINERS[0].operator);
    expect(await shown.done).toBe(0);
    const [row] = JSON.parse(shown.out()) as {
      coordinator: string;
      tasks: number;
      earned: string;
      pending: string;
    }[];
    expect(row?.tasks).toBe(3);
    expect(BigInt(row?.earned ?? 0)).toBeGreaterThan(0n);
    expect(row?.pending).toBe(row?.earned);

    // The coordinator's owner funds the escrow; the miner then redeems what it is owed.
    const amount = parseEther("1000");
    await network.send(COORDINATOR.owner, (c) =>
      c.token.write.approve([network.devnet.file.contracts.PaymentEscrow, amount]),
    );
    await network.send(COORDINATOR.owner, (c) =>
      c.escrow.write.deposit([coordinator.services.operator, amount], GAS),
    );
    const redeemed = cli(
      ["--json", "miner", "earnings", "--journal", journal, "--redeem"],
      MINERS[0].operator,
    );
    expect(await redeemed.done).toBe(0);
    const [after] = JSON.parse(redeemed.out()) as { redeemed: string; earned: string; pending: string }[];
    expect(after?.redeemed).toBe(row?.earned);
    expect(after?.pending).toBe("0");
  });
});

describe("roost miner automatic redemption", { timeout: 60_000 }, () => {
  it("redeems its receipts on chain by itself once a coordinator owes the threshold", async () => {
    const amount = parseEther("100");
    await network.send(COORDINATOR.owner, (c) =>
      c.token.write.approve([network.devnet.file.contracts.PaymentEscrow, amount]),
    );
    await network.send(COORDINATOR.owner, (c) =>
      c.escrow.write.deposit([coordinator.services.operator, amount], GAS),
    );
    const settings = join(dir, "redeem.json");
    writeFileSync(settings, JSON.stringify({ backends: [{ kind: "llama" }], redeemThreshold: "0.015" }));
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const operator = account(MINERS[1].operator).address;
    const miner = cli(
      ["miner", "start", "--config", settings, "--journal", join(dir, "redeem.db")],
      MINERS[1].operator,
      stopped,
    );
    await until(
      () => coordinator.services.dispatcher.presence.online().some((m) => m.operator === operator),
      `the miner to poll (stderr: ${miner.err()})`,
    );
    const openai = new OpenAI({
      baseURL: `${coordinator.url}/v1`,
      apiKey: coordinator.services.apiKeys.create("redeem e2e").plaintext,
      maxRetries: 0,
    });
    const { publicClient } = createRoostClients({
      chainId: network.devnet.file.chainId,
      rpcUrls: [network.devnet.rpcUrl],
    });
    const { escrow } = roostContracts(network.devnet.file, publicClient);
    for (let i = 0; i < 2; i++) {
      await openai.chat.completions.create({
        model: "roost-demo/tiny-random-llama",
        messages: [{ role: "user", content: `task ${i}` }],
        max_tokens: 4,
      });
    }
    await until(() => miner.err().includes("redeemed 0.02 CAI from 1 coordinator(s)"), "the redemption");
    expect(await escrow.read.redeemed([coordinator.services.operator, operator])).toBe(parseEther("0.02"));
    stop();
    expect(await miner.done).toBe(0);
  });
});
