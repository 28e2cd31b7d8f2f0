import { type Devnet, type DevnetFile, formatDuration } from "@roost/chain";
import { keyValues, table } from "../output.js";
import { DEMO_CHEATER, demoAccount } from "./demo-nodes.js";
import type { DevnetNetwork } from "./network.js";

/** What `roost devnet` prints once the network runs: where everything is and how to try it. */
export function networkSummary(network: DevnetNetwork, seconds: string): { human: string; data: unknown } {
  const { devnet, coordinator, web, apiKey } = network;
  const { file } = devnet;
  const cheater = network.miners.find((m) => m.node.fakeShare !== undefined);
  const accounts = [
    ...demoAccounts(file),
    ...(cheater === undefined
      ? []
      : [
          [`#${DEMO_CHEATER.owner}`, "cheating miner owner", demoAccount(DEMO_CHEATER.owner).address],
          [
            `#${DEMO_CHEATER.operator}`,
            "cheating miner operator key",
            demoAccount(DEMO_CHEATER.operator).address,
          ],
        ]),
  ];
  const human = [
    `Roost devnet ${devnet.resumed ? "resumed" : "deployed"} and running in ${seconds} s`,
    "",
    keyValues([
      ["portal", web.url],
      ["RPC", file.rpcUrl],
      ["chain id", String(file.chainId)],
      ["coordinator", `${coordinator.url} (operator ${coordinator.services.operator})`],
      ["app API key", apiKey],
      ["miners", network.miners.map((m) => m.node.name).join(", ")],
      ["faucet drip", `POST ${web.url}/api/faucet/drip {"address": "0x..."}`],
      ["deployment", devnet.path],
      ["unbonding", formatDuration(Number(file.parameters.unbondingPeriod ?? 0))],
    ]),
    "",
    table(["contract", "address"], Object.entries(file.contracts)),
    "",
    table(["account", "role", "address"], accounts),
    "",
    "Try it (an OpenAI-compatible API):",
    `  curl -s ${coordinator.url}/v1/chat/completions -H "Authorization: Bearer ${apiKey}" \\`,
    `    -H "content-type: application/json" -d '{"model": "roost-demo/tiny-random-llama", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}'`,
    ...(cheater === undefined
      ? []
      : [
          "",
          `The ${cheater.node.name} (operator ${demoAccount(cheater.node.operator).address}) fakes half its results.`,
          "A demo app sends an image every 3 s: watch the spot checks catch it, then `roost nodes miners`.",
        ]),
    "",
    ...closing(file),
  ].join("\n");
  const data = {
    ...file,
    path: devnet.path,
    resumed: devnet.resumed,
    coordinator: { url: coordinator.url, operator: coordinator.services.operator, apiKey },
    web: web.url,
    miners: network.miners.map((m) => ({
      name: m.node.name,
      operator: demoAccount(m.node.operator).address,
    })),
  };
  return { human, data };
}

/** What `roost devnet --chain-only` prints: the chain, its contracts and the demo accounts. */
export function chainSummary(net: Devnet, seconds: string): string {
  const { file } = net;
  return [
    `Roost devnet ${net.resumed ? "resumed" : "deployed"} in ${seconds} s`,
    "",
    keyValues([
      ["RPC", file.rpcUrl],
      ["chain id", String(file.chainId)],
      ["deployment", net.path],
      ["unbonding", formatDuration(Number(file.parameters.unbondingPeriod ?? 0))],
    ]),
    "",
    table(["contract", "address"], Object.entries(file.contracts)),
    "",
    table(["account", "role", "address"], demoAccounts(file)),
    "",
    ...closing(file),
  ].join("\n");
}

const demoAccounts = (file: DevnetFile) => file.accounts.map((a) => [`#${a.index}`, a.label, a.address]);

const closing = (file: DevnetFile) => [
  `Demo keys come from anvil's public test mnemonic ("${file.mnemonic}"): never use them elsewhere.`,
  "Press Ctrl-C to stop.",
];
