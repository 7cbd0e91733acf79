import type { Database } from "better-sqlite3";

/**
 * Schema changes, in order. The database's `user_version` pragma counts how many have been
 * applied; opening a store applies the rest, each in its own transaction. Never edit a
 * migration that has shipped: append a new one.
 */
export const MIGRATIONS: readonly ((db: Database) => void)[] = [
  // 1: tunes people send for training, waiting for a reviewer.
  (db) => {
    db.exec(`
      CREATE TABLE submissions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id     TEXT,
        user_id      TEXT NOT NULL,
        title        TEXT NOT NULL,
        notes        TEXT,
        file_name    TEXT NOT NULL,
        original     BLOB NOT NULL,
        content_hash TEXT NOT NULL,
        tokens       TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'used')),
        reviewer     TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE INDEX submissions_by_hash ON submissions (content_hash);
      CREATE INDEX submissions_by_status ON submissions (status, created_at);
    `);
  },
  // 2: seeds of composed tunes, so their buttons can compose from the same seed after a restart.
  (db) => {
    db.exec(`
      CREATE TABLE seeds (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        file_name  TEXT NOT NULL,
        bytes      BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
    `);
  },
  // 3: retraining: model versions, training runs (progress and log for the admin), ratings.
  (db) => {
    db.exec(`
      CREATE TABLE model_versions (
        id          TEXT PRIMARY KEY,
        parent      TEXT,
        dir         TEXT NOT NULL,
        card        TEXT,
        metrics     TEXT,
        -- submissions the version was trained on: marked used when it becomes active
        submissions TEXT NOT NULL DEFAULT '[]',
        run_id      INTEGER,
        status      TEXT NOT NULL
                    CHECK (status IN ('candidate', 'active', 'retired', 'rejected')),
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );
      CREATE TABLE training_runs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        requested_by TEXT,
        parameters   TEXT NOT NULL DEFAULT '{}',
        status       TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'rejected', 'failed')),
        pid          INTEGER,
        progress     TEXT,
        log          TEXT NOT NULL DEFAULT '',
        result       TEXT,
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT
      );
      CREATE INDEX training_runs_by_status ON training_runs (status);
      CREATE TABLE ratings (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id   TEXT,
        user_id    TEXT NOT NULL,
        tune       TEXT NOT NULL,
        rating     INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (user_id, tune)
      );
      CREATE INDEX ratings_by_tune ON ratings (tune);
    `);
  },
  // 4: no ratings after all: members like a tune by submitting it, or with Discord's reactions.
  (db) => {
    db.exec("DROP TABLE ratings;");
  },
  // 5: whose seed it is (for /forget; NULL for seeds stored before), pruning by age, and a row
  // for the readiness check to write.
  (db) => {
    db.exec(`
      ALTER TABLE seeds ADD COLUMN user_id TEXT;
      CREATE INDEX seeds_by_user ON seeds (user_id);
      CREATE INDEX seeds_by_age ON seeds (created_at);
      CREATE INDEX submissions_by_user ON submissions (user_id);
      -- one row, rewritten by the readiness check (/readyz) to prove the database takes writes
      CREATE TABLE health_checks (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at TEXT NOT NULL);
    `);
  },
];

/**
 * Applies the migrations the database has not seen yet; refuses a database from a newer version.
 * Several processes may open a new database at once (shards, workers): each step re-reads the
 * version inside an IMMEDIATE transaction, so a step is applied once, by whoever gets the lock.
 */
export function migrate(db: Database): number {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  const tooNew = (current: number) =>
    new Error(
      `the database is at schema version ${current}, newer than this code knows (${MIGRATIONS.length}); upgrade Tunesmith`,
    );
  if (version() > MIGRATIONS.length) throw tooNew(version());
  const next = db.transaction((): boolean => {
    const current = version();
    if (current > MIGRATIONS.length) throw tooNew(current);
    if (current === MIGRATIONS.length) return false;
    const step = MIGRATIONS[current] as (db: Database) => void;
    step(db);
    // PRAGMA takes no bound parameters; the value is a counter, not input.
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (next.immediate()) {}
  return MIGRATIONS.length;
}
