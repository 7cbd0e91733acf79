import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { migrate } from "./migrations.js";
import { type TrainingRunStore, trainingRunStore } from "./runs.js";
import { type ModelVersionStore, modelVersionStore } from "./version-rows.js";

/**
 * The bot's durable state in one SQLite file (DATA_DIR/tunesmith.db): submissions for
 * training, the seeds composed tunes were made from (with their owner, for SEED_RETENTION_DAYS),
 * training runs and model version rows
 * (the last two in runs.ts and version-rows.ts). Synchronous on
 * purpose: every query is a few rows on a local file, quicker than a thread hop.
 */
export const DB_FILE = "tunesmith.db";
/** How long a write waits for another process's lock (ms). */
const BUSY_TIMEOUT_MS = 5_000;
const HEALTH_BUSY_TIMEOUT_MS = 200;

export const SUBMISSION_STATUSES = ["pending", "approved", "rejected", "used"] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export interface NewSubmission {
  readonly guildId: string | null;
  readonly userId: string;
  readonly title: string;
  readonly notes?: string | null;
  readonly fileName: string;
  /** The file exactly as the user sent it. */
  readonly original: Uint8Array;
  /** Hash of the normalised tune (its model tokens): equal for the same music however written. */
  readonly contentHash: string;
  readonly tokens: readonly string[];
}

export interface Submission extends Required<NewSubmission> {
  readonly id: number;
  readonly notes: string | null;
  readonly status: SubmissionStatus;
  readonly reviewer: string | null;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type AddSubmissionResult =
  | { readonly added: true; readonly submission: Submission }
  | { readonly added: false; readonly existing: Submission };

export interface NewSeed {
  /** Who uploaded it (or pressed Continue): /forget deletes it. */
  readonly userId: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export interface StoredSeed {
  readonly id: number;
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

/** What /forget removed for one user, and what it could not. */
export interface ForgetResult {
  readonly seedsDeleted: number;
  /** Pending, approved or rejected: never trained on, now deleted. */
  readonly submissionsDeleted: readonly Pick<Submission, "id" | "title" | "status">[];
  /** Already trained into a model version: the record stays, with the versions trained on it. */
  readonly trained: readonly (Pick<Submission, "id" | "title"> & { readonly versions: readonly string[] })[];
}

export type ReviewDecision = "approved" | "rejected";

export type ReviewResult =
  | { readonly ok: true; readonly submission: Submission }
  | {
      readonly ok: false;
      readonly code: "not-found" | "not-pending";
      /** Plain words for the reviewer. */
      readonly reason: string;
      readonly submission?: Submission;
    };

export interface Store extends TrainingRunStore, ModelVersionStore {
  readonly file: string;
  /** Adds a pending submission unless the same music was already submitted (then returns that one). */
  addSubmission(submission: NewSubmission): AddSubmissionResult;
  findByHash(contentHash: string): Submission | undefined;
  /** Oldest first; every status when none is given. */
  listSubmissions(status?: SubmissionStatus): Submission[];
  getSubmission(id: number): Submission | undefined;
  /** The oldest pending submission. */
  nextPending(): Submission | undefined;
  /** How many submissions have this status (without reading them). */
  countSubmissions(status: SubmissionStatus): number;
  /** pending → approved or rejected; any other status is refused, with the reason. */
  reviewSubmission(id: number, decision: ReviewDecision, reviewer: string): ReviewResult;
  /** approved → used (other statuses are left alone); returns how many changed. */
  markUsed(ids: readonly number[]): number;
  saveSeed(seed: NewSeed): number;
  getSeed(id: number): StoredSeed | undefined;
  /** Deletes the seeds stored before `cutoff`; returns how many. */
  pruneSeeds(cutoff: Date): number;
  /** Deletes a user's seeds and the submissions not trained on yet (see ForgetResult). */
  forgetUser(userId: string): ForgetResult;
  /** For /readyz: undefined when the database takes a write, else why not. */
  checkWritable(): string | undefined;
  close(): void;
}

interface SubmissionRow {
  id: number;
  guild_id: string | null;
  user_id: string;
  title: string;
  notes: string | null;
  file_name: string;
  original: Buffer;
  content_hash: string;
  tokens: string;
  status: SubmissionStatus;
  reviewer: string | null;
  created_at: string;
  updated_at: string;
}

function toSubmission(row: SubmissionRow): Submission {
  return {
    id: row.id,
    guildId: row.guild_id,
    userId: row.user_id,
    title: row.title,
    notes: row.notes,
    fileName: row.file_name,
    original: new Uint8Array(row.original),
    contentHash: row.content_hash,
    tokens: JSON.parse(row.tokens) as string[],
    status: row.status,
    reviewer: row.reviewer,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
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

  const byHash = db.prepare<[string], SubmissionRow>(
    "SELECT * FROM submissions WHERE content_hash = ? ORDER BY id LIMIT 1",
  );
  const byId = db.prepare<[number | bigint], SubmissionRow>("SELECT * FROM submissions WHERE id = ?");
  const all = db.prepare<[], SubmissionRow>("SELECT * FROM submissions ORDER BY created_at, id");
  const countByStatus = db.prepare<[string], { n: number }>(
    "SELECT COUNT(*) AS n FROM submissions WHERE status = ?",
  );
  const byStatus = db.prepare<[string], SubmissionRow>(
    "SELECT * FROM submissions WHERE status = ? ORDER BY created_at, id",
  );
  const insert = db.prepare(
    `INSERT INTO submissions
       (guild_id, user_id, title, notes, file_name, original, content_hash, tokens, status, created_at, updated_at)
     VALUES (@guildId, @userId, @title, @notes, @fileName, @original, @contentHash, @tokens, 'pending', @now, @now)`,
  );
  const insertSeed = db.prepare(
    "INSERT INTO seeds (user_id, file_name, bytes, created_at) VALUES (@userId, @fileName, @bytes, @now)",
  );
  const deleteOldSeeds = db.prepare<[string]>("DELETE FROM seeds WHERE created_at < ?");
  const deleteUserSeeds = db.prepare<[string]>("DELETE FROM seeds WHERE user_id = ?");
  const byUser = db.prepare<[string], SubmissionRow>(
    "SELECT * FROM submissions WHERE user_id = ? ORDER BY created_at, id",
  );
  const touchHealth = db.prepare<[string]>(
    "INSERT OR REPLACE INTO health_checks (id, checked_at) VALUES (1, ?)",
  );
  const deleteSubmission = db.prepare<[number]>("DELETE FROM submissions WHERE id = ? AND status != 'used'");
  const setReviewed = db.prepare(
    "UPDATE submissions SET status = @status, reviewer = @reviewer, updated_at = @now WHERE id = @id AND status = 'pending'",
  );
  const setUsed = db.prepare(
    "UPDATE submissions SET status = 'used', updated_at = @now WHERE id = @id AND status = 'approved'",
  );
  const seedById = db.prepare<[number], { id: number; file_name: string; bytes: Buffer }>(
    "SELECT id, file_name, bytes FROM seeds WHERE id = ?",
  );

  // Check and insert in one transaction, so two identical submissions cannot both be added.
  const add = db.transaction((s: NewSubmission): AddSubmissionResult => {
    const existing = byHash.get(s.contentHash);
    if (existing) return { added: false, existing: toSubmission(existing) };
    const { lastInsertRowid } = insert.run({
      guildId: s.guildId,
      userId: s.userId,
      title: s.title,
      notes: s.notes ?? null,
      fileName: s.fileName,
      original: Buffer.from(s.original),
      contentHash: s.contentHash,
      tokens: JSON.stringify(s.tokens),
      now: new Date().toISOString(),
    });
    return { added: true, submission: toSubmission(byId.get(lastInsertRowid) as SubmissionRow) };
  });

  const review = db.transaction((id: number, decision: ReviewDecision, reviewer: string): ReviewResult => {
    const row = byId.get(id);
    if (!row) return { ok: false, code: "not-found", reason: `there is no submission #${id}` };
    if (row.status !== "pending") {
      const by = row.reviewer ? ` by ${row.reviewer}` : "";
      return {
        ok: false,
        code: "not-pending",
        reason: `submission #${id} is no longer pending: it was ${row.status}${row.status === "used" ? " for training" : by}`,
        submission: toSubmission(row),
      };
    }
    setReviewed.run({ id, status: decision, reviewer, now: new Date().toISOString() });
    return { ok: true, submission: toSubmission(byId.get(id) as SubmissionRow) };
  });
  const markUsed = db.transaction((ids: readonly number[]): number => {
    const now = new Date().toISOString();
    let changed = 0;
    for (const id of new Set(ids)) changed += setUsed.run({ id, now }).changes;
    return changed;
  });

  const versionRows = modelVersionStore(db, (ids) => markUsed(ids));
  const forget = db.transaction((userId: string): ForgetResult => {
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

  const runs = trainingRunStore(db);
  // A run whose process died (killed, crashed, power cut) would otherwise look running forever.
  runs.failStaleRuns();

  return {
    ...runs,
    ...versionRows,
    file,
    addSubmission: (submission) => add.immediate(submission),
    findByHash: (hash) => {
      const row = byHash.get(hash);
      return row ? toSubmission(row) : undefined;
    },
    listSubmissions: (status) => (status ? byStatus.all(status) : all.all()).map(toSubmission),
    getSubmission: (id) => {
      const row = byId.get(id);
      return row ? toSubmission(row) : undefined;
    },
    countSubmissions: (status) => countByStatus.get(status)?.n ?? 0,
    nextPending: () => {
      const row = byStatus.get("pending");
      return row ? toSubmission(row) : undefined;
    },
    reviewSubmission: (id, decision, reviewer) => review.immediate(id, decision, reviewer),
    markUsed: (ids) => markUsed.immediate(ids),
    saveSeed: ({ userId, fileName, bytes }) =>
      Number(
        insertSeed.run({ userId, fileName, bytes: Buffer.from(bytes), now: new Date().toISOString() })
          .lastInsertRowid,
      ),
    pruneSeeds: (cutoff) => deleteOldSeeds.run(cutoff.toISOString()).changes,
    forgetUser: (userId) => forget.immediate(userId),
    getSeed: (id) => {
      const row = seedById.get(id);
      return row ? { id: row.id, fileName: row.file_name, bytes: new Uint8Array(row.bytes) } : undefined;
    },
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
