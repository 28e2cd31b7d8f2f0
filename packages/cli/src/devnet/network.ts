import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { type Devnet, startDevnet } from "@roost/chain";
import { type CoordinatorNode, DEFAULT_CONFIG, startCoordinator } from "@roost/coordinator";
import { type MinerNode, parseMinerConfig } from "@roost/miner";
import { launchMiner } from "../nodes/launch-miner.js";
import { type DemoApp, startDemoApp } from "./demo-app.js";
import {
  DEMO_CHEATER,
  DEMO_COORDINATOR,
  DEMO_MINERS,
  type DemoNode,
  demoAccount,
  demoKey,
  registerDemoNodes,
} from "./demo-nodes.js";
import { type DisputeKeeper, startDisputeKeeper } from "./dispute-keeper.js";
import { createDripper } from "./drip.js";
import { portalDist } from "./portal-files.js";
import { type DevnetWebServer, startWebServer } from "./web-server.js";

// The whole network on one machine (design section 8, `npm start`): the chain with every contract,
// the coordinator node, the miners on the built-in backends, the faucet's drip service, a keeper that
// executes due slash proposals and, with --with-cheater, a cheating miner and a demo app to catch it.
// Chain, coordinator and miner state live under `home`, so a restart resumes the same network.

export interface DevnetNetworkOptions {
  home: string;
  /** The chain's port (default 8545); the coordinator's (8080) and the web server's (3000). 0: any. */
  chainPort: number;
  coordinatorPort: number;
  webPort: number;
  reset: boolean;
  withCheater: boolean;
  progress: (step: string) => void;
  /** Warnings of the nodes, one line each (their routine logs stay quiet). */
  warn: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

export interface DevnetNetwork {
  devnet: Devnet;
  coordinator: CoordinatorNode;
  miners: { node: DemoNode; miner: MinerNode }[];
  web: DevnetWebServer;
  keeper: DisputeKeeper;
  demoApp: DemoApp | undefined;
  /** An API key of the coordinator for apps (kept in devnet.json across restarts). */
  apiKey: string;
  stop(): Promise<void>;
}

export async function startDevnetNetwork(options: DevnetNetworkOptions): Promise<DevnetNetwork> {
  const { home, progress } = options;
  if (options.reset) {
    for (const dir of ["coordinator", "miners"]) rmSync(join(home, dir), { recursive: true, force: true });
  }
  const devnet = await startDevnet({
    port: options.chainPort,
    home,
    reset: options.reset,
    onProgress: progress,
  });
  const stops: (() => Promise<void>)[] = [() => devnet.stop()];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const deployment = devnet.file;
    // Registered before it starts, so it starts as an active coordinator: its port is chosen first.
    const coordinatorPort =
      options.coordinatorPort === 0 ? await freeLoopbackPort() : options.coordinatorPort;
    const nodes = [DEMO_COORDINATOR, ...DEMO_MINERS, ...(options.withCheater ? [DEMO_CHEATER] : [])];
    await registerDemoNodes(deployment, nodes, `http://127.0.0.1:${coordinatorPort}`, progress);
    progress("starting the coordinator");
    const coordinator = await startCoordinator({
      config: {
        ...DEFAULT_CONFIG,
        port: coordinatorPort,
        database: join(home, "coordinator", "coordinator.db"),
      },
      deployment,
      rpcUrls: [devnet.rpcUrl],
      operatorKey: demoKey(DEMO_COORDINATOR.operator),
      // Its warnings (escrow running low, a spot check failed) as lines among the devnet's own.
      logger: {
        level: "warn",
        stream: { write: (line) => options.warn(`coordinator: ${logMessage(line)}`) },
      },
    });
    stops.push(() => coordinator.stop());
    const apiKey = appKey(devnet, coordinator);
    // Miners log in as soon as they start: the coordinator must have read their registrations first.
    await waitUntil(
      () =>
        nodes.every(
          (n) => n.role !== "miner" || coordinator.registry.eligible(demoAccount(n.operator).address),
        ),
      10_000,
    );

    const miners: DevnetNetwork["miners"] = [];
    for (const node of nodes.filter((n) => n.role === "miner")) {
      progress(`starting ${node.name} (operator ${demoAccount(node.operator).address})`);
      const backends = [{ kind: "demo-image" }, { kind: "llama" }];
      const config = parseMinerConfig({
        journal: join(home, "miners", `${node.name.replace(/\s+/g, "-")}.db`),
        backends:
          node.fakeShare === undefined
            ? backends
            : backends.map((backend) => ({ kind: "cheat", fakeShare: node.fakeShare, backend })),
      });
      const miner = await launchMiner({
        deployment,
        rpcUrls: [devnet.rpcUrl],
        privateKey: demoKey(node.operator),
        config,
        cwd: home,
        env: options.env,
        logger: { info: () => {}, warn: (message) => options.warn(`${node.name}: ${message}`) },
      });
      stops.push(() => miner.stop());
      miners.push({ node, miner });
    }

    progress("starting the faucet's drip service");
    const web = await startWebServer({
      port: options.webPort,
      dripper: createDripper(deployment),
      describe: () => describeNetwork(devnet, coordinator.url),
      portal: portalDist(),
    });
    stops.push(() => web.close());
    const keeper = startDisputeKeeper(deployment, {
      intervalMs: 5_000,
      onExecuted: (id, miner) =>
        options.warn(`slash proposal #${id} against ${miner} executed: the miner is jailed`),
      onError: (error) => options.warn(`keeper: ${error instanceof Error ? error.message : String(error)}`),
    });
    stops.push(() => keeper.stop());
    const demoApp = options.withCheater ? startDemoApp(coordinator.url, apiKey, 3_000) : undefined;
    if (demoApp !== undefined) stops.push(() => demoApp.stop());

    writeFileSync(
      devnet.path,
      `${JSON.stringify({ ...devnet.file, coordinator: { url: coordinator.url, operator: coordinator.services.operator, apiKey }, web: web.url }, null, 2)}\n`,
    );
    return { devnet, coordinator, miners, web, keeper, demoApp, apiKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A port nothing listens on now (the OS picks it), for a node that must be registered before it starts. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A pino JSON line as "message (field=value, ...)"; the line itself if it is not JSON. */
function logMessage(line: string): string {
  try {
    const {
      msg,
      level: _level,
      time: _time,
      pid: _pid,
      hostname: _host,
      ...fields
    } = JSON.parse(line) as Record<string, unknown>;
    const details = Object.entries(fields).map(
      ([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`,
    );
    return details.length === 0 ? String(msg) : `${String(msg)} (${details.join(", ")})`;
  } catch {
    return line.trim();
  }
}

async function waitUntil(ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The app API key saved in devnet.json if the coordinator still knows it, else a new one. */
function appKey(devnet: Devnet, coordinator: CoordinatorNode): string {
  let saved: string | undefined;
  try {
    saved = (JSON.parse(readFileSync(devnet.path, "utf8")) as { coordinator?: { apiKey?: string } })
      .coordinator?.apiKey;
  } catch {
    saved = undefined;
  }
  const keys = coordinator.services.apiKeys;
  if (saved !== undefined && keys.verify(saved) !== undefined) return saved;
  return keys.create("devnet app").plaintext;
}

/** What the portal needs to talk to this devnet (no secrets: the app key stays in devnet.json). */
function describeNetwork(devnet: Devnet, coordinatorUrl: string) {
  const { file } = devnet;
  return {
    chainId: file.chainId,
    rpcUrl: file.rpcUrl,
    contracts: file.contracts,
    block: file.block,
    coordinatorUrl,
    dripUrl: "/api/faucet/drip",
    // anvil holds these accounts unlocked: the portal's dev wallet sends through it (devnet only).
    demoAccounts: file.accounts.map(({ index, label, address }) => ({ index, label, address })),
  };
}
