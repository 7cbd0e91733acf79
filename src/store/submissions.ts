import type { Database } from "better-sqlite3";

/**
 * Tunes users offered for training: pending until an admin approves or rejects them,
 * approved until a model version trained on them becomes active (then used). The same
 * music (by its model tokens) is stored once.
 */
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

export interface SubmissionStore {
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
}

export interface SubmissionRow {
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

export function toSubmission(row: SubmissionRow): Submission {
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

/**
 * The submissions' queries; `markUsedWithin` is markUsed for a caller's own transaction
 * (activating a model version marks its training tunes in the same one).
 */
export function submissionStore(db: Database): SubmissionStore & {
  readonly markUsedWithin: (ids: readonly number[]) => number;
} {
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
  const setReviewed = db.prepare(
    "UPDATE submissions SET status = @status, reviewer = @reviewer, updated_at = @now WHERE id = @id AND status = 'pending'",
  );
  const setUsed = db.prepare(
    "UPDATE submissions SET status = 'used', updated_at = @now WHERE id = @id AND status = 'approved'",
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

  const found = (row: SubmissionRow | undefined) => (row ? toSubmission(row) : undefined);
  return {
    addSubmission: (submission) => add.immediate(submission),
    findByHash: (hash) => found(byHash.get(hash)),
    listSubmissions: (status) => (status ? byStatus.all(status) : all.all()).map(toSubmission),
    getSubmission: (id) => found(byId.get(id)),
    countSubmissions: (status) => countByStatus.get(status)?.n ?? 0,
    nextPending: () => found(byStatus.get("pending")),
    reviewSubmission: (id, decision, reviewer) => review.immediate(id, decision, reviewer),
    markUsed: (ids) => markUsed.immediate(ids),
    markUsedWithin: (ids) => markUsed(ids),
  };
}
