import { ERROR_MESSAGES, explainError } from "@roost/chain";
import type { Hex, PublicClient, TransactionReceipt } from "viem";

// What the coordinator owes Disputes (proofs of equivocation, slash proposals) waits in SQLite until a
// transaction carrying it is mined. The outbox sends each pending item, one at a time, now and every
// `intervalMs`: a dead RPC is retried later; a refusal by the contract (a decoded custom error) is
// final and kept with its reason.

export interface OutboxItem {
  /** For logs: who and what the item is about. */
  fields: Record<string, unknown>;
  /** Sends the transaction; resolves with its hash. */
  send(): Promise<Hex>;
  /** The transaction was mined: record the outcome. */
  done(receipt: TransactionReceipt): void;
  /** Disputes refused it for good (`error` says why) or the transaction reverted. */
  refused(error: string): void;
  /**
   * Custom errors that mean an earlier send of this item already landed (a receipt wait that timed
   * out, a crash after sending): the item is done, not refused.
   */
  landed?: { errorName: string; done(): void };
}

export interface OutboxSource {
  /** In log lines: "equivocation proof", "slash proposal". */
  what: string;
  pending(): OutboxItem[];
}

export interface DisputesOutboxOptions {
  sources: OutboxSource[];
  publicClient: PublicClient;
  intervalMs: number;
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
}

export class DisputesOutbox {
  readonly #options: DisputesOutboxOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: DisputesOutboxOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#options.intervalMs);
    this.#timer.unref();
    void this.flush();
  }

  /** Sends what is pending (one flush runs at once; a call meanwhile queues behind it). Never rejects. */
  flush(): Promise<void> {
    this.#running = this.#running
      .then(() => this.#sendPending())
      .catch((error: unknown) =>
        this.#options.log.warn({ err: error }, "Disputes outbox failed; retrying later"),
      );
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async #sendPending(): Promise<void> {
    const { sources, publicClient, log } = this.#options;
    for (const source of sources) {
      for (const item of source.pending()) {
        try {
          const hash = await item.send();
          const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
          if (receipt.status === "success") {
            item.done(receipt);
            log.info({ ...item.fields, transaction: hash }, `${source.what} accepted by Disputes`);
          } else item.refused(`transaction ${hash} reverted`);
        } catch (error) {
          const explained = explainError(error);
          if (item.landed !== undefined && explained.errorName === item.landed.errorName) {
            item.landed.done();
            log.info(item.fields, `${source.what} had already reached Disputes`);
            continue;
          }
          const refused =
            explained.errorName !== undefined && Object.hasOwn(ERROR_MESSAGES, explained.errorName);
          if (refused) item.refused(explained.message);
          log.warn(
            { ...item.fields, error: explained.message },
            refused ? `Disputes refused the ${source.what}` : `${source.what} not sent; retrying`,
          );
        }
      }
    }
  }
}
