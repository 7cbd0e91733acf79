import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate } from "./migrations.js";
import { type TrainingRunStore, trainingRunStore } from "./runs.js";
import { type SeedStore, seedStore } from "./seeds.js";
import { type Submission, type SubmissionRow, type SubmissionStore, submissionStore } from "./submissions.js";
import { type ModelVersionStore, modelVersionStore } from "./version-rows.js";

/**
 * The bot's durable state in one SQLite file (DATA_DIR/tunesmith.db): submissions for
 * training (submissions.ts), the seeds composed tunes were made from (seeds.ts), training
 * runs (runs.ts) and model version rows (version-rows.ts); /forget across them. Synchronous
 * on purpose: every query is a few rows on a local file, quicker than a thread hop.
 */
export const DB_FILE = "tunesmith.db";
/** How long a write waits for another process's lock (ms). */
const BUSY_TIMEOUT_MS = 5_000;
const HEALTH_BUSY_TIMEOUT_MS = 200;

/** What /forget removed for one user, and what it could not. */
export interface ForgetResult {
  readonly seedsDeleted: number;
  /** Pending, approved or rejected: never trained on, now deleted. */
  readonly submissionsDeleted: readonly Pick<Submission, "id" | "title" | "status">[];
  /** Already trained into a model version: the record stays, with the versions trained on it. */
  readonly trained: readonly (Pick<Submission, "id" | "title"> & { readonly versions: readonly string[] })[];
}

export interface Store extends SubmissionStore, SeedStore, TrainingRunStore, ModelVersionStore {
  readonly file: string;
  /** Deletes a user's seeds and the submissions not trained on yet (see ForgetResult). */
  forgetUser(userId: string): ForgetResult;
  /** For /readyz: undefined when the database takes a write, else why not. */
  checkWritable(): string | undefined;
  close(): void;
}

/** Opens (creating if needed) the database in `dir`, in WAL mode, migrated to the current schema. */
export function openStore(dir: string): Store {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, DB_FILE);
  const db = new BetterSqlite3(file);
  try {
    // Another process (an admin script, another shard, a worker) may hold the write lock briefly.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  const { markUsedWithin, ...submissions } = submissionStore(db);
  const versionRows = modelVersionStore(db, markUsedWithin);
  const runs = trainingRunStore(db);
  // A run whose process died (killed, crashed, power cut) would otherwise look running forever.
  runs.failStaleRuns();
  const forget = forgetTransaction(db, versionRows);
  const touchHealth = db.prepare<[string]>(
    "INSERT OR REPLACE INTO health_checks (id, checked_at) VALUES (1, ?)",
  );

  return {
    ...runs,
    ...versionRows,
    ...submissions,
    ...seedStore(db),
    file,
    forgetUser: (userId) => forget.immediate(userId),
    checkWritable: () => {
      if (!db.open) return "the database is closed";
      // Synchronous: wait briefly for another process's write, not the usual 5 s on the event loop.
      db.pragma(`busy_timeout = ${HEALTH_BUSY_TIMEOUT_MS}`);
      try {
        touchHealth.run(new Date().toISOString());
        return undefined;
      } catch (error) {
        return `the database takes no writes: ${(error as Error).message}`;
      } finally {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** A user's seeds and untrained submissions deleted in one transaction; trained ones reported with their versions. */
function forgetTransaction(db: Database, versionRows: ModelVersionStore) {
  const deleteUserSeeds = db.prepare<[string]>("DELETE FROM seeds WHERE user_id = ?");
  const byUser = db.prepare<[string], SubmissionRow>(
    "SELECT * FROM submissions WHERE user_id = ? ORDER BY created_at, id",
  );
  const deleteSubmission = db.prepare<[number]>("DELETE FROM submissions WHERE id = ? AND status != 'used'");
  return db.transaction((userId: string): ForgetResult => {
    const seedsDeleted = deleteUserSeeds.run(userId).changes;
    const rows = byUser.all(userId);
    const trained = rows.filter((r) => r.status === "used");
    const deleted = rows.filter((r) => r.status !== "used");
    for (const row of deleted) deleteSubmission.run(row.id);
    const versions = versionRows.listVersions();
    return {
      seedsDeleted,
      submissionsDeleted: deleted.map((r) => ({ id: r.id, title: r.title, status: r.status })),
      trained: trained.map((r) => ({
        id: r.id,
        title: r.title,
        versions: versions.filter((v) => v.submissions.includes(r.id)).map((v) => v.id),
      })),
    };
  });
}
