import { disputesAbi } from "@roost/protocol";
import type { Address, PublicClient } from "viem";

// Operator keys Disputes marked for equivocation (two signed results for one task). A marked key is
// slashed once, ever, so coordinators must not give it work again (Disputes.sol): its owner registers
// a new operator. Staking alone does not say so (an owner can top up and unjail the node), so the
// coordinator follows EquivocationProven: from the deployment's first block in the background at
// start, then every `pollMs`, in ranges of `maxBlockRange` blocks.

export interface EquivocationMarksOptions {
  publicClient: PublicClient;
  disputes: Address;
  fromBlock: bigint;
  pollMs: number;
  maxBlockRange: number;
  /** A key was found marked (the dispatcher forgets it). */
  onMarked?: (operator: Address) => void;
  onError?: (error: unknown) => void;
}

export class EquivocationMarks {
  readonly #options: EquivocationMarksOptions;
  readonly #marked = new Set<string>();
  #next: bigint;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: EquivocationMarksOptions) {
    this.#options = options;
    this.#next = options.fromBlock;
  }

  /** Whether Disputes marked this operator key (as far as the scan has come). */
  has(operator: Address): boolean {
    return this.#marked.has(operator.toLowerCase());
  }

  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#running = this.#scan()
        .catch((error: unknown) => this.#options.onError?.(error))
        .finally(() => {
          if (this.#stopped) return;
          this.#timer = setTimeout(loop, this.#options.pollMs);
          this.#timer.unref();
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Scans from the next unscanned block to the head; progress is kept range by range. */
  async #scan(): Promise<void> {
    const { publicClient, disputes, maxBlockRange } = this.#options;
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    while (this.#next <= head && !this.#stopped) {
      const to =
        this.#next + BigInt(maxBlockRange) - 1n < head ? this.#next + BigInt(maxBlockRange) - 1n : head;
      const events = await publicClient.getContractEvents({
        address: disputes,
        abi: disputesAbi,
        eventName: "EquivocationProven",
        fromBlock: this.#next,
        toBlock: to,
      });
      for (const event of events) {
        const miner = event.args.miner as Address;
        if (this.#marked.has(miner.toLowerCase())) continue;
        this.#marked.add(miner.toLowerCase());
        this.#options.onMarked?.(miner);
      }
      this.#next = to + 1n;
    }
  }
}
