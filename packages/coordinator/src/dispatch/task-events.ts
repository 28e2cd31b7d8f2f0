import type { TaskProgress } from "@roost/protocol";
import type { Task } from "../store/task-record.js";

/** What happened to a task, as its waiters (HTTP requests, SSE streams) see it. */
export type TaskEvent =
  | { type: "leased"; task: Task }
  | { type: "progress"; taskId: string; progress: TaskProgress }
  | { type: "requeued"; taskId: string; reason: string }
  | { type: "completed"; task: Task }
  | { type: "failed"; task: Task };

export type TaskListener = (event: TaskEvent) => void;

/**
 * In-process fan-out of task events to the requests waiting on them. The store is the record; these
 * events only wake waiters, who re-read the store when they need the truth (e.g. after a restart there
 * are no listeners, and GET /v1/tasks/:id reads the store).
 */
export class TaskEvents {
  readonly #listeners = new Map<string, Set<TaskListener>>();

  /** Calls `listener` on each event of `taskId` until the returned function is called. */
  subscribe(taskId: string, listener: TaskListener): () => void {
    const id = taskId.toLowerCase();
    let set = this.#listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(id);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(id);
    };
  }

  emit(event: TaskEvent): void {
    const id = ("task" in event ? event.task.id : event.taskId).toLowerCase();
    const set = this.#listeners.get(id);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch {
        // A listener's failure (a closed socket) must not stop the others.
      }
    }
  }

  /** Tasks with at least one listener. */
  get size(): number {
    return this.#listeners.size;
  }
}
