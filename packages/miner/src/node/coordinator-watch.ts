import { explainError } from "@roost/chain";
import { backoffDelay, sleep } from "./backoff.js";
import type { MinerLogger } from "./logger.js";
import type { CoordinatorTarget } from "./miner-node.js";

export interface CoordinatorWatchOptions {
  /** Reads the coordinators to work for (from the chain's registry). */
  load: () => Promise<readonly CoordinatorTarget[]>;
  intervalMs: number;
  /** Makes the node work for exactly these coordinators. */
  apply: (targets: readonly CoordinatorTarget[]) => void;
  logger: MinerLogger;
  signal: AbortSignal;
}

/**
 * Reads the coordinator list again every `intervalMs` and applies it. While the chain RPC is down the
 * node keeps the list it has (its coordinators do not need the chain to hand out work) and tries
 * again with backoff, never slower than the interval.
 */
export async function watchCoordinators(options: CoordinatorWatchOptions): Promise<void> {
  const { logger, signal } = options;
  let failures = 0;
  while (!signal.aborted) {
    const wait =
      failures === 0 ? options.intervalMs : Math.min(options.intervalMs, backoffDelay(failures - 1));
    await sleep(wait, signal);
    if (signal.aborted) return;
    try {
      const targets = await options.load();
      if (signal.aborted) return;
      if (failures > 0) logger.info("chain RPC reachable again: coordinator list read");
      failures = 0;
      options.apply(targets);
    } catch (error) {
      failures++;
      logger.warn(
        `cannot read the coordinators from the chain (${explainError(error).message}); working on with the ones known`,
      );
    }
  }
}
