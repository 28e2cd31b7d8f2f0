import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { createRoostClients, type Deployment, Role, roostContracts, Status } from "@roost/chain";
import type { FastifyInstance } from "fastify";
import type { Hex } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { EquivocationMarks } from "../chain/equivocation-marks.js";
import { MinerRegistry } from "../chain/registry.js";
import type { CoordinatorConfig } from "../config.js";
import { EscrowWatch } from "../payments/escrow-watch.js";
import { parsePriceTable } from "../payments/prices.js";
import { buildServer, closeServer } from "../server.js";
import type { ChainView, CoordinatorServices } from "../services.js";
import { startCheckpointer } from "../store/checkpointer.js";
import { openDatabase } from "../store/database.js";
import { DisputesOutbox } from "../verification/disputes-outbox.js";
import { configuredHonesty } from "../verification/economics.js";
import { equivocationProofs } from "../verification/equivocation.js";
import { slashProposals } from "../verification/slash-proposer.js";
import { createServices } from "./create-services.js";

export interface StartCoordinatorOptions {
  config: CoordinatorConfig;
  deployment: Deployment;
  rpcUrls: string[];
  /** The coordinator operator's private key (never logged). */
  operatorKey: Hex;
  /**
   * Fastify/pino logger options; false for silence (tests). Default: JSON lines at level info on
   * stdout, or on `stream` (one JSON line per write).
   */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
}

export interface CoordinatorNode {
  /** http://host:port the server listens on. */
  url: string;
  services: CoordinatorServices;
  server: FastifyInstance;
  registry: MinerRegistry;
  /** Stops taking work, answers waiting polls, finishes in-flight requests, closes the database. */
  stop(): Promise<void>;
}

const SWEEP_MS = 1_000;
const PURGE_MS = 60_000;
/** How often proofs and proposals Disputes has not taken yet are sent again. */
const DISPUTES_RETRY_MS = 60_000;
/** How often Disputes is asked for newly marked (equivocating) operator keys. */
const MARKS_POLL_MS = 5_000;
/** How often running spot checks are reviewed (time-outs, failed re-runs, work left by a restart). */
const SPOT_CHECK_SWEEP_MS = 5_000;

/**
 * Starts a coordinator: loads the miners from Staking, opens the queue, and serves the app, miner and
 * ops APIs. Tasks left queued or leased by a previous run (even one killed with -9) resume: queued
 * ones go to the next polling miner, leased ones to another miner when their lease runs out.
 */
export async function startCoordinator(options: StartCoordinatorOptions): Promise<CoordinatorNode> {
  const { config, deployment } = options;
  const operator = privateKeyToAddress(options.operatorKey);
  const { publicClient, walletClient } = createRoostClients({
    chainId: deployment.chainId,
    rpcUrls: options.rpcUrls,
    account: privateKeyToAccount(options.operatorKey),
  });
  let onMinerChange: (operator: `0x${string}`) => void = () => {};
  const registry = new MinerRegistry({
    deployment,
    publicClient,
    onChange: (miner) => onMinerChange(miner.operator),
  });
  await registry.start();
  const marks = new EquivocationMarks({
    publicClient,
    disputes: deployment.contracts.Disputes,
    fromBlock: BigInt(deployment.block),
    pollMs: MARKS_POLL_MS,
    maxBlockRange: 2_000,
    onMarked: (miner) => onMinerChange(miner),
  });
  marks.start();
  // The registry's view, less the operator keys Disputes marked for equivocation: never work again.
  const chain: ChainView = {
    eligible: (miner) => registry.eligible(miner) && !marks.has(miner),
    weight: (miner) => (marks.has(miner) ? 0 : registry.weight(miner)),
    owner: (miner) => registry.owner(miner),
    status: () => registry.status(),
  };

  mkdirSync(dirname(config.database), { recursive: true });
  // Group commit: the server holds every answer until the writes it acknowledges are committed.
  const db = openDatabase(config.database, { synchronous: config.synchronous, groupCommit: true });
  let escrow: EscrowWatch | undefined;
  const services = createServices({
    config,
    db,
    chain,
    operatorKey: options.operatorKey,
    chainId: deployment.chainId,
    contracts: deployment.contracts,
    escrow: () => (escrow as EscrowWatch).status(),
  });
  onMinerChange = (miner) => services.dispatcher.reweigh(miner);

  const server = buildServer(services, {
    logger:
      options.logger === false
        ? false
        : {
            level: options.logger === true || options.logger === undefined ? "info" : options.logger.level,
            redact: ["req.headers.authorization"],
            ...(typeof options.logger === "object" && options.logger.stream !== undefined
              ? { stream: options.logger.stream }
              : {}),
          },
  });
  const log = server.log;
  // WAL checkpoints from a thread of their own, not inside an answer's commit (store/checkpointer.ts).
  const checkpointer = startCheckpointer(db, {
    onError: (message) => log.warn({ error: message }, "WAL checkpoint failed; the next one retries"),
  });
  escrow = new EscrowWatch({
    publicClient,
    escrow: deployment.contracts.PaymentEscrow,
    coordinator: operator,
    earnings: services.earnings,
    intervalMs: config.escrowCheckMs,
    onWarning: (message, figures) => {
      const fields = {
        deposit: figures.deposit.toString(),
        owed: figures.owed.toString(),
        state: figures.state,
      };
      if (figures.state === "ok") log.info(fields, message);
      else log.warn(fields, message);
    },
    onError: (error) => log.warn({ err: error }, "escrow check failed"),
  });
  const contracts = roostContracts(deployment, publicClient, walletClient);
  const [role, status] = await contracts.staking.read.nodeState([operator]);
  if (role !== Role.Coordinator || status !== Status.Active) {
    log.warn(
      { operator },
      "this operator is not an active registered coordinator: miners can log in, but PaymentEscrow will not pay its receipts; run roost register coordinator",
    );
  }
  const honesty = configuredHonesty(
    config.verification,
    parsePriceTable(config.prices),
    registry.minSelfStake,
  );
  if (!honesty.honest) {
    log.warn(
      { spotCheckRate: config.verification.spotCheckRate, slashBps: config.verification.slashBps },
      `verification settings make cheating pay: ${honesty.explanation}`,
    );
  }

  const { spotChecks } = services;
  spotChecks.log = log;
  const { maxProposalBps } = await contracts.disputes.read.params();
  if (spotChecks.slashBps > maxProposalBps) {
    log.warn(
      { slashBps: spotChecks.slashBps, maxProposalBps },
      `verification.slashBps is above what Disputes accepts: proposals will ask for ${maxProposalBps} bps`,
    );
    spotChecks.slashBps = maxProposalBps;
  }
  const outbox = new DisputesOutbox({
    sources: [
      equivocationProofs(services.equivocations, contracts),
      // Evidence is served where apps and miners reach this coordinator: its registered endpoint now
      // (an unregistered coordinator cannot propose; the proposal waits until it is registered).
      slashProposals(services.slashProposals, contracts, async () => {
        const [role, status] = await contracts.staking.read.nodeState([operator]);
        if (role !== Role.Coordinator || status === Status.None) {
          throw new Error("this operator is not a registered coordinator: run roost register coordinator");
        }
        return (await contracts.staking.read.getNode([operator])).endpoint;
      }),
    ],
    publicClient,
    intervalMs: DISPUTES_RETRY_MS,
    log,
  });

  const sweep = setInterval(() => {
    try {
      services.dispatcher.sweep();
    } catch (error) {
      log.error({ err: error }, "lease sweep failed");
    }
  }, SWEEP_MS);
  const reviewChecks = () => {
    try {
      spotChecks.sweep();
    } catch (error) {
      log.error({ err: error }, "spot check sweep failed");
    }
  };
  const checkSweep = setInterval(reviewChecks, SPOT_CHECK_SWEEP_MS);
  checkSweep.unref();
  const purge = setInterval(() => services.sessions.purgeExpired(), PURGE_MS);
  sweep.unref();
  purge.unref();
  escrow.start();
  // A proof or proposal recorded while serving goes out at once, not at the next retry.
  services.equivocations.onRecord = () => void outbox.flush();
  spotChecks.onProposal = () => void outbox.flush();

  await server.listen({ host: config.host, port: config.port });
  const port = (server.server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  outbox.start();
  reviewChecks(); // checks a previous run left unfinished
  log.info({ url, operator, miners: registry.miners().length }, "coordinator listening");

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      services.dispatcher.close();
      clearInterval(sweep);
      clearInterval(checkSweep);
      clearInterval(purge);
      await escrow?.stop();
      await outbox.stop();
      await closeServer(server);
      await registry.stop();
      await marks.stop();
      await checkpointer.stop();
      db.close();
    })();
    return stopping;
  };
  return { url, services, server, registry, stop };
}
