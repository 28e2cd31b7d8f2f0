import { TASK_COLUMNS } from "./task-record.js";

// Retrying would replay tokens the client already received, so a started stream is never retried.
const FINAL_ATTEMPT = "(attempts >= max_attempts OR (stream = 1 AND first_token_sent = 1))";

/** The task store's statements, prepared once per connection by TaskStore. */
export const TASK_SQL = {
  byId: `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`,
  byIdempotencyKey: `SELECT ${TASK_COLUMNS} FROM tasks WHERE api_key_id = ? AND idempotency_key = ?`,
  // No RETURNING: the caller knows every column of a new task (reading a row back costs ~30 us).
  // Queued, or already leased to a miner waiting for work (one write instead of an insert and a lease).
  // Parameters named as the columns: the caller binds the TaskRow it returns.
  insert: `INSERT INTO tasks (id, api_key_id, kind, model, input, input_hash, stream, idempotency_key, status,
      attempts, max_attempts, leased_to, lease_expires_at, created_at, updated_at, excluded_owners)
    VALUES (:id, :api_key_id, :kind, :model, :input, :input_hash, :stream, :idempotency_key, :status,
      :attempts, :max_attempts, :leased_to, :lease_expires_at, :created_at, :updated_at, :excluded_owners)`,
  // A read before the lease's write transaction: most polls find nothing queued. Tasks restricted to
  // some miners (spot checks) are placed by the dispatcher, never leased by this scan.
  anyQueued: `SELECT 1 FROM tasks
    WHERE status = 'queued' AND model IN (SELECT value FROM json_each(:models)) AND excluded_owners IS NULL
    LIMIT 1`,
  // One statement: pick the oldest queued tasks of the models and mark them leased.
  lease: `UPDATE tasks SET status = 'leased', leased_to = :miner, lease_expires_at = :expiresAt,
      attempts = attempts + 1, updated_at = :now
    WHERE seq IN (
      SELECT seq FROM tasks
      WHERE status = 'queued' AND model IN (SELECT value FROM json_each(:models)) AND excluded_owners IS NULL
      ORDER BY created_at, seq LIMIT :limit)
    RETURNING ${TASK_COLUMNS}`,
  // Queued tasks restricted to some miners (spot-check runs) that a miner of :owner may run, oldest
  // first (few: the partial index is empty when no check waits).
  restrictedQueued: `SELECT ${TASK_COLUMNS} FROM tasks INDEXED BY tasks_restricted
    WHERE status = 'queued' AND excluded_owners IS NOT NULL AND model IN (SELECT value FROM json_each(:models))
      AND NOT EXISTS (SELECT 1 FROM json_each(tasks.excluded_owners) WHERE value = :owner)
    ORDER BY created_at, seq LIMIT :limit`,
  anyRestrictedQueued:
    "SELECT 1 FROM tasks INDEXED BY tasks_restricted WHERE status = 'queued' AND excluded_owners IS NOT NULL LIMIT 1",
  // The coordinator gives up a task nobody finished in time (a spot-check run): failed, its lease
  // (if any) void, so a late result is refused.
  cancel: `UPDATE tasks SET status = 'failed', error = :error, updated_at = :now
    WHERE id = :id AND status IN ('queued', 'leased')
    RETURNING ${TASK_COLUMNS}`,
  // A task's state without its input and result (the spot checks' sweep reads many).
  state: "SELECT status, leased_to, created_at FROM tasks WHERE id = ?",
  // The dispatcher's stake-weighted choice: one queued task to one chosen miner.
  assign: `UPDATE tasks SET status = 'leased', leased_to = :miner, lease_expires_at = :expiresAt,
      attempts = attempts + 1, updated_at = :now
    WHERE id = :id AND status = 'queued'
    RETURNING ${TASK_COLUMNS}`,
  extend: `UPDATE tasks SET lease_expires_at = :expiresAt, updated_at = :now
    WHERE id = :id AND status = 'leased' AND leased_to = :miner AND lease_expires_at > :now`,
  // No row when the miner holds no running lease: the caller then reads the row to say why.
  complete: `UPDATE tasks SET status = 'completed', result_hash = :resultHash, signature = :signature,
      result_payload = :payload, result_encoding = :encoding, completed_at = :completedAt, error = NULL,
      updated_at = :completedAt
    WHERE id = :id AND status = 'leased' AND leased_to = :miner AND lease_expires_at > :completedAt
    RETURNING ${TASK_COLUMNS}`,
  // A requeued task forgets its holder; a failed one keeps its last holder for the record.
  fail: `UPDATE tasks SET status = :status, error = :error, updated_at = :now,
      leased_to = CASE WHEN :status = 'queued' THEN NULL ELSE leased_to END,
      lease_expires_at = CASE WHEN :status = 'queued' THEN NULL ELSE lease_expires_at END
    WHERE id = :id AND status = 'leased' AND leased_to = :miner
    RETURNING ${TASK_COLUMNS}`,
  expiredHolders: "SELECT id, leased_to FROM tasks WHERE status = 'leased' AND lease_expires_at <= :now",
  // A miner hung up before it saw the task: back to the queue without spending an attempt.
  release: `UPDATE tasks SET status = 'queued', leased_to = NULL, lease_expires_at = NULL,
      attempts = attempts - 1, updated_at = :now
    WHERE id = :id AND status = 'leased' AND leased_to = :miner`,
  // SET expressions all see the row's old values, so FINAL_ATTEMPT is evaluated before the update.
  requeueExpired: `UPDATE tasks SET
      status = CASE WHEN ${FINAL_ATTEMPT} THEN 'failed' ELSE 'queued' END,
      error = CASE WHEN stream = 1 AND first_token_sent = 1 THEN 'lease expired after streaming began'
        ELSE 'lease expired (attempt ' || attempts || ' of ' || max_attempts || ')' END,
      leased_to = CASE WHEN ${FINAL_ATTEMPT} THEN leased_to ELSE NULL END,
      lease_expires_at = CASE WHEN ${FINAL_ATTEMPT} THEN lease_expires_at ELSE NULL END,
      updated_at = :now
    WHERE status = 'leased' AND lease_expires_at <= :now
    RETURNING id, status, seq`,
  markFirstToken:
    "UPDATE tasks SET first_token_sent = 1 WHERE id = ? AND status = 'leased' AND first_token_sent = 0",
  counts: "SELECT status, count(*) AS n FROM tasks GROUP BY status",
} as const;
