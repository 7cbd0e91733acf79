import type { Database } from "better-sqlite3";

/**
 * Rows describing model versions (the directories under DATA_DIR/models). The active
 * pointer file, not this table, decides which version is active; versions/version-catalog.ts
 * reconciles the statuses here with it.
 */
export const VERSION_STATUSES = ["candidate", "active", "retired", "rejected"] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface NewModelVersion {
  readonly id: string;
  readonly parent: string | null;
  readonly dir: string;
  readonly card?: unknown;
  readonly metrics?: unknown;
  /** Submissions it was trained on: marked used when the version becomes active. */
  readonly submissions?: readonly number[];
  readonly runId?: number | null;
  readonly status: VersionStatus;
}

export interface ModelVersionRow {
  readonly id: string;
  readonly parent: string | null;
  readonly dir: string;
  readonly card: unknown;
  readonly metrics: unknown;
  readonly submissions: readonly number[];
  readonly runId: number | null;
  readonly status: VersionStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ModelVersionStore {
  /** Inserts the row, or replaces everything but created_at if the id exists. */
  recordVersion(version: NewModelVersion): ModelVersionRow;
  setVersionStatus(id: string, status: VersionStatus): boolean;
  getVersion(id: string): ModelVersionRow | undefined;
  /** Oldest first. */
  listVersions(): ModelVersionRow[];
  /**
   * In one transaction: `id` becomes active, any other active row retired, and the
   * approved submissions it was trained on marked used. Returns how many were marked.
   */
  markVersionActive(id: string): { readonly usedSubmissions: number };
}

interface VersionRow {
  id: string;
  parent: string | null;
  dir: string;
  card: string | null;
  metrics: string | null;
  submissions: string;
  run_id: number | null;
  status: VersionStatus;
  created_at: string;
  updated_at: string;
}

function toVersion(row: VersionRow): ModelVersionRow {
  return {
    id: row.id,
    parent: row.parent,
    dir: row.dir,
    card: row.card === null ? null : JSON.parse(row.card),
    metrics: row.metrics === null ? null : JSON.parse(row.metrics),
    submissions: JSON.parse(row.submissions) as number[],
    runId: row.run_id,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `markUsed` is the submissions table's: only approved submissions become used. */
export function modelVersionStore(
  db: Database,
  markUsed: (ids: readonly number[]) => number,
): ModelVersionStore {
  const byId = db.prepare<[string], VersionRow>("SELECT * FROM model_versions WHERE id = ?");
  const all = db.prepare<[], VersionRow>("SELECT * FROM model_versions ORDER BY created_at, id");
  const upsert = db.prepare(
    `INSERT INTO model_versions (id, parent, dir, card, metrics, submissions, run_id, status, created_at, updated_at)
     VALUES (@id, @parent, @dir, @card, @metrics, @submissions, @runId, @status, @now, @now)
     ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, dir = excluded.dir, card = excluded.card,
       metrics = excluded.metrics, submissions = excluded.submissions, run_id = excluded.run_id,
       status = excluded.status, updated_at = excluded.updated_at`,
  );
  const setStatus = db.prepare(
    "UPDATE model_versions SET status = @status, updated_at = @now WHERE id = @id AND status <> @status",
  );
  const retireOthers = db.prepare(
    "UPDATE model_versions SET status = 'retired', updated_at = @now WHERE status = 'active' AND id <> @id",
  );
  const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

  const activate = db.transaction((id: string) => {
    const row = byId.get(id);
    if (!row) throw new Error(`no model version ${id} is recorded`);
    const now = new Date().toISOString();
    retireOthers.run({ id, now });
    setStatus.run({ id, status: "active", now });
    return { usedSubmissions: markUsed(JSON.parse(row.submissions) as number[]) };
  });

  return {
    recordVersion: (v) => {
      upsert.run({
        id: v.id,
        parent: v.parent,
        dir: v.dir,
        card: json(v.card),
        metrics: json(v.metrics),
        submissions: JSON.stringify(v.submissions ?? []),
        runId: v.runId ?? null,
        status: v.status,
        now: new Date().toISOString(),
      });
      return toVersion(byId.get(v.id) as VersionRow);
    },
    setVersionStatus: (id, status) =>
      setStatus.run({ id, status, now: new Date().toISOString() }).changes > 0,
    getVersion: (id) => {
      const row = byId.get(id);
      return row ? toVersion(row) : undefined;
    },
    listVersions: () => all.all().map(toVersion),
    markVersionActive: (id) => activate.immediate(id),
  };
}
