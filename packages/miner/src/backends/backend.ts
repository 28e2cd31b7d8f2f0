import type { TaskInput, TaskOutput, TaskType } from "@roost/protocol";

// What every inference backend of a miner looks like: the node leases tasks for the models a backend
// serves, up to its capacity, and hands each task's input to `run`.

/** What a running task may tell the node while it works. */
export interface RunContext {
  /** Aborted when the node gives the task up (lease lost, shutdown): stop and throw. */
  signal: AbortSignal;
  /** Chat: text appended to the answer, in order; all deltas concatenated equal the final content. */
  onDelta?: (text: string) => void;
  /** How far the task has come, 0 to 1 (images: steps done). */
  onProgress?: (fraction: number) => void;
}

export interface Backend {
  /** The backend's kind as configured: "a1111", "openai", "llama", "demo-image". */
  readonly kind: string;
  /** The task type it runs. */
  readonly type: TaskType;
  /** The model ids it serves, as tasks name them. */
  readonly models: readonly string[];
  /** Tasks it runs at once. */
  readonly capacity: number;
  /**
   * Checks the backend is reachable and serves its models.
   * @throws BackendUnavailableError saying what is wrong and what to do
   */
  check(): Promise<void>;
  /**
   * Runs one task. The output must be a pure function of the input where the input pins it (greedy
   * decoding, a fixed seed): verification re-runs tasks elsewhere and compares.
   * @throws BackendTaskError when this task failed (the node gives it back with the reason)
   */
  run(input: TaskInput, context: RunContext): Promise<TaskOutput>;
  /** Frees what the backend holds (models, connections). */
  close(): Promise<void>;
}

/** The backend cannot serve at all (down, wrong URL, model missing): raised by `check`. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} backend: ${message}`, options);
    this.name = "BackendUnavailableError";
  }
}

/** One task failed in the backend; `message` is what the coordinator is told (no secrets). */
export class BackendTaskError extends Error {
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} backend: ${message}`, options);
    this.name = "BackendTaskError";
  }
}
