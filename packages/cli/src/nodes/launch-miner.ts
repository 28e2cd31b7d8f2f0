import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createDigestSigner, createRoostClients, type Deployment, roostContracts } from "@roost/chain";
import {
  type Backend,
  chainCoordinators,
  createBackends,
  discoverCoordinators,
  hardwareReport,
  type MinerConfig,
  type MinerNode,
  preflight,
  startMiner,
} from "@roost/miner";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export interface LaunchMinerOptions {
  deployment: Deployment;
  rpcUrls: string[];
  /** The miner operator's key (never logged). */
  privateKey: Hex;
  config: MinerConfig;
  /** Where a relative journal path is resolved. */
  cwd: string;
  /** For the backends' API keys (apiKeyEnv). */
  env: Readonly<Record<string, string | undefined>>;
  logger: { info(message: string): void; warn(message: string): void };
}

/**
 * Starts a miner node as `roost miner start` and `roost devnet` run it: checks the operator's standing
 * on chain (MinerNotReadyError says what is missing), makes and checks the backends
 * (BackendUnavailableError), finds the coordinators on chain and works for them.
 */
export async function launchMiner(options: LaunchMinerOptions): Promise<MinerNode> {
  const { deployment, config, logger } = options;
  const account = privateKeyToAccount(options.privateKey);
  const { publicClient, walletClient } = createRoostClients({
    chainId: deployment.chainId,
    rpcUrls: options.rpcUrls,
    account,
  });
  const reader = roostContracts(deployment, publicClient);
  await preflight(reader, account.address);
  const journalPath = resolve(options.cwd, config.journal);
  mkdirSync(dirname(journalPath), { recursive: true });
  const backends: Backend[] = createBackends(config.backends, dirname(journalPath), options.env);
  for (const backend of backends) {
    logger.info(`checking the ${backend.kind} backend (${backend.models.join(", ")})...`);
    await backend.check().catch(async (error: unknown) => {
      await Promise.all(backends.map((b) => b.close()));
      throw error;
    });
  }
  try {
    const filter = { ...(config.allow === undefined ? {} : { allow: config.allow }), deny: config.deny };
    // The preflight above has just checked the miner's standing: the first list needs only discovery.
    const coordinators = await discoverCoordinators(reader, filter);
    if (coordinators.length === 0) {
      logger.info(
        `no active coordinator on chain to work for yet; looking again every ${config.discoveryIntervalMs / 1000} s`,
      );
    }
    return await startMiner({
      account,
      signer: createDigestSigner(options.privateKey),
      domain: { chainId: deployment.chainId, verifyingContract: deployment.contracts.Disputes },
      receiptDomain: { chainId: deployment.chainId, verifyingContract: deployment.contracts.PaymentEscrow },
      coordinators,
      discovery: {
        load: chainCoordinators(reader, account.address, filter, logger),
        intervalMs: config.discoveryIntervalMs,
      },
      ...(config.autoRedeem
        ? {
            redemption: {
              contracts: roostContracts(deployment, publicClient, walletClient),
              publicClient,
              threshold: config.redeemThreshold,
              intervalMs: config.redeemIntervalMs,
            },
          }
        : {}),
      backends,
      journalPath,
      logger,
      sharePolicy: config.sharePolicy,
      pollWaitMs: config.pollWaitMs,
      hardware: await hardwareReport(),
    });
  } catch (error) {
    // The backends hold native models and sockets: a node that never started must not keep them.
    await Promise.all(backends.map((b) => b.close()));
    throw error;
  }
}
