import type { StoreDatabase } from "./database.js";

/** One schema change. Versions start at 1 and increase by 1; an applied migration is never edited. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "api keys and tasks",
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
        rate_limit_per_minute INTEGER NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;

      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        api_key_id TEXT NOT NULL REFERENCES api_keys (id),
        kind TEXT NOT NULL CHECK (kind IN ('chat', 'image', 'txt2img', 'task')),
        model TEXT NOT NULL,
        input TEXT NOT NULL,
        input_hash TEXT NOT NULL,
        stream INTEGER NOT NULL CHECK (stream IN (0, 1)),
        idempotency_key TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'leased', 'completed', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
        leased_to TEXT,
        lease_expires_at INTEGER,
        first_token_sent INTEGER NOT NULL DEFAULT 0 CHECK (first_token_sent IN (0, 1)),
        result_hash TEXT,
        signature TEXT,
        result_payload BLOB,
        result_encoding TEXT CHECK (result_encoding IN ('bytes', 'json')),
        completed_at INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (api_key_id, idempotency_key),
        CHECK (attempts BETWEEN 0 AND max_attempts),
        CHECK (status <> 'leased' OR (leased_to IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK (status <> 'completed' OR (result_payload IS NOT NULL AND completed_at IS NOT NULL)),
        CHECK (status <> 'failed' OR error IS NOT NULL)
      ) STRICT;

      -- The lease scan: oldest queued task of the requested models.
      CREATE INDEX tasks_queued ON tasks (model, created_at, seq) WHERE status = 'queued';
      -- The expiry sweep.
      CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE status = 'leased';
    `,
  },
  {
    version: 2,
    name: "miner login nonces and sessions",
    sql: `
      -- Used MinerLogin nonces, kept until the login they came with has expired (single use).
      CREATE TABLE miner_login_nonces (
        operator TEXT NOT NULL CHECK (length(operator) = 42),
        nonce TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (operator, nonce)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX miner_login_nonces_expiry ON miner_login_nonces (expires_at);

      -- Miner API sessions; only the SHA-256 of the token is stored.
      CREATE TABLE miner_sessions (
        token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
        operator TEXT NOT NULL CHECK (length(operator) = 42),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
      ) STRICT;
      CREATE INDEX miner_sessions_operator ON miner_sessions (operator);
      CREATE INDEX miner_sessions_expiry ON miner_sessions (expires_at);
    `,
  },
  {
    version: 3,
    name: "miner earnings",
    sql: `
      -- What each miner has earned here in total (the cumulative amount of its Receipts). Amounts are
      -- CAI base units as decimal TEXT (a uint256 does not fit an INTEGER), canonical: no sign, no
      -- leading zero, at most 78 digits.
      CREATE TABLE miner_earnings (
        miner TEXT PRIMARY KEY CHECK (length(miner) = 42),
        cumulative TEXT NOT NULL CHECK (
          length(cumulative) BETWEEN 1 AND 78 AND cumulative NOT GLOB '*[^0-9]*'
          AND (cumulative = '0' OR cumulative NOT GLOB '0*')),
        tasks INTEGER NOT NULL CHECK (tasks >= 0),
        -- The latest signed Receipt and the cumulative amount it is for (stale once that differs).
        -- Unused since receipts are signed from the total on demand and kept in memory.
        receipt_amount TEXT,
        receipt_signature TEXT,
        updated_at INTEGER NOT NULL,
        CHECK ((receipt_amount IS NULL) = (receipt_signature IS NULL))
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "equivocations",
    sql: `
      -- Two different TaskResults one miner signed for one task: the proof Disputes.proveEquivocation
      -- takes. Each result is its JSON (uint64 completedAt as a decimal string) and its signature.
      CREATE TABLE equivocations (
        task_id TEXT PRIMARY KEY,
        miner TEXT NOT NULL CHECK (length(miner) = 42),
        result_a TEXT NOT NULL,
        signature_a TEXT NOT NULL,
        result_b TEXT NOT NULL,
        signature_b TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'proven', 'refused')),
        transaction_hash TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX equivocations_pending ON equivocations (created_at) WHERE status = 'pending';
    `,
  },
  {
    version: 5,
    name: "spot checks",
    sql: `
      -- Owners (JSON array of lower-case addresses) whose miners must not run the task: a spot check
      -- runs on an independent miner. NULL for an app's task, which any miner may run.
      ALTER TABLE tasks ADD COLUMN excluded_owners TEXT;
      CREATE INDEX tasks_restricted ON tasks (model, created_at, seq)
        WHERE status = 'queued' AND excluded_owners IS NOT NULL;

      -- The key spot-check tasks are filed under. Revoked and its hash is no SHA-256 of anything, so no
      -- request can use it; it exists because every task belongs to a key.
      INSERT INTO api_keys (id, name, prefix, key_hash, created_at, revoked_at)
        VALUES ('spot-checks', 'spot checks (internal)', '', '${"-".repeat(64)}', 0, 0);

      -- A result under check: the original task, its miner and that miner's owner. The miner's pay for
      -- it is held until the verdict.
      CREATE TABLE spot_checks (
        task_id TEXT PRIMARY KEY REFERENCES tasks (id),
        miner TEXT NOT NULL CHECK (length(miner) = 42),
        owner TEXT NOT NULL CHECK (length(owner) = 42),
        status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'inconclusive', 'unchecked')),
        -- Why it ended as it did, in words (the comparison), once it ended.
        verdict TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX spot_checks_running ON spot_checks (created_at) WHERE status = 'running';

      -- The re-runs of a check: each a task of its own (its row in tasks says who ran it).
      CREATE TABLE spot_check_runs (
        run_task_id TEXT PRIMARY KEY REFERENCES tasks (id),
        task_id TEXT NOT NULL REFERENCES spot_checks (task_id),
        created_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX spot_check_runs_task ON spot_check_runs (task_id);

      -- BOINC-style trust per miner operator: checks passed in a row, and in total.
      CREATE TABLE miner_trust (
        miner TEXT PRIMARY KEY CHECK (length(miner) = 42),
        streak INTEGER NOT NULL CHECK (streak >= 0),
        passed INTEGER NOT NULL CHECK (passed >= 0),
        failed INTEGER NOT NULL CHECK (failed >= 0),
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Slashes this coordinator proposes to Disputes, with the evidence bundle served at evidenceURI.
      CREATE TABLE slash_proposals (
        task_id TEXT PRIMARY KEY,
        miner TEXT NOT NULL CHECK (length(miner) = 42),
        bps INTEGER NOT NULL CHECK (bps BETWEEN 1 AND 10000),
        evidence BLOB NOT NULL,
        evidence_hash TEXT NOT NULL UNIQUE CHECK (length(evidence_hash) = 66),
        status TEXT NOT NULL CHECK (status IN ('pending', 'proposed', 'refused')),
        proposal_id TEXT,
        transaction_hash TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX slash_proposals_pending ON slash_proposals (created_at) WHERE status = 'pending';
    `,
  },
  {
    version: 6,
    name: "plain queue index without spot checks",
    sql: `
      -- The lease scan never takes restricted tasks (spot-check runs): keep them out of its index, so
      -- checks waiting for an independent miner cost the scan nothing.
      DROP INDEX tasks_queued;
      CREATE INDEX tasks_queued ON tasks (model, created_at, seq)
        WHERE status = 'queued' AND excluded_owners IS NULL;
      -- "Was this miner accused lately?" (one proposal per miner a day).
      CREATE INDEX slash_proposals_miner ON slash_proposals (miner, created_at);
    `,
  },
];

/**
 * Brings the database up to the newest migration. Each migration runs in its own BEGIN IMMEDIATE
 * transaction together with its row in `schema_migrations`, so a crash leaves it fully applied or not at
 * all, and two processes opening the same new file cannot both apply it (the second re-reads the version
 * under the write lock and skips).
 */
export function applyMigrations(db: StoreDatabase, migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migrations: version ${migration.version} at position ${index}; expected ${index + 1}`);
    }
  });
  db.connection.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at INTEGER NOT NULL
     ) STRICT`,
  );
  const latest = migrations.length;
  const current = db.schemaVersion();
  if (current > latest) {
    throw new Error(
      `database ${db.path} has schema version ${current}, newer than this coordinator's ${latest}; upgrade Roost`,
    );
  }
  const record = db.connection.prepare(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  for (const migration of migrations.slice(current)) {
    db.immediate(() => {
      if (db.schemaVersion() >= migration.version) return;
      db.connection.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    });
  }
}
