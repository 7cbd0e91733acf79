import type { Database } from "better-sqlite3";
import { processAlive } from "../process-alive.js";
import type { FinalRunStatus, RetrainProgress, RetrainSummary, RunStatus } from "../retrain/run-reports.js";

/**
 * Training runs: one row per retraining, from the request to its outcome, with the
 * progress and log an admin looks at. A run is owned by the process in `pid` while it
 * is `running`; a run whose process has died is failed by `failStaleRuns`.
 */

export interface TrainingRun {
  readonly id: number;
  readonly requestedBy: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly status: RunStatus;
  readonly pid: number | null;
  readonly progress: RetrainProgress | null;
  /** Timestamped lines, oldest first; the head is dropped past MAX_RUN_LOG characters. */
  readonly log: string;
  readonly result: RetrainSummary | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export type StartRunResult =
  | { readonly ok: true; readonly run: TrainingRun }
  | { readonly ok: false; readonly reason: string };

export interface FailStaleOptions {
  /** Also fail queued runs (no process ever took them): for the one process that starts runs, at its start. */
  readonly queued?: boolean;
  /** Whether a process is alive; defaults to a signal-0 probe. */
  readonly isAlive?: (pid: number) => boolean;
}

export interface TrainingRunStore {
  createRun(request?: {
    readonly requestedBy?: string | null;
    readonly parameters?: Readonly<Record<string, unknown>>;
  }): TrainingRun;
  /** queued → running, owned by `pid`; refused while another run is running (stale ones are failed first). */
  startRun(id: number, pid: number): StartRunResult;
  updateRunProgress(id: number, progress: RetrainProgress): void;
  appendRunLog(id: number, line: string): void;
  /** Ends a queued or running run; false if it had already ended (the first outcome stands). */
  finishRun(id: number, status: FinalRunStatus, result?: RetrainSummary | null): boolean;
  getRun(id: number): TrainingRun | undefined;
  /** Newest first. */
  latestRuns(limit?: number): TrainingRun[];
  /** The newest queued or running run. */
  activeRun(): TrainingRun | undefined;
  /** Marks failed the running runs whose process is gone (and queued ones if asked); returns them. */
  failStaleRuns(options?: FailStaleOptions): TrainingRun[];
}

export const MAX_RUN_LOG = 200_000;

interface RunRow {
  id: number;
  requested_by: string | null;
  parameters: string;
  status: RunStatus;
  pid: number | null;
  progress: string | null;
  log: string;
  result: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function toRun(row: RunRow): TrainingRun {
  return {
    id: row.id,
    requestedBy: row.requested_by,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    status: row.status,
    pid: row.pid,
    progress: row.progress === null ? null : (JSON.parse(row.progress) as RetrainProgress),
    log: row.log,
    result: row.result === null ? null : (JSON.parse(row.result) as RetrainSummary),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

const stamp = (): string => new Date().toISOString();
const logLine = (line: string): string => `${stamp().slice(0, 19).replace("T", " ")} ${line}\n`;

export function trainingRunStore(db: Database): TrainingRunStore {
  const byId = db.prepare<[number | bigint], RunRow>("SELECT * FROM training_runs WHERE id = ?");
  const latest = db.prepare<[number], RunRow>("SELECT * FROM training_runs ORDER BY id DESC LIMIT ?");
  const open = db.prepare<[], RunRow>(
    "SELECT * FROM training_runs WHERE status IN ('queued', 'running') ORDER BY id DESC",
  );
  const insert = db.prepare(
    "INSERT INTO training_runs (requested_by, parameters, created_at) VALUES (@requestedBy, @parameters, @now)",
  );
  const setRunning = db.prepare(
    "UPDATE training_runs SET status = 'running', pid = @pid, started_at = @now WHERE id = @id",
  );
  const setProgress = db.prepare("UPDATE training_runs SET progress = @progress WHERE id = @id");
  const append = db.prepare(
    `UPDATE training_runs SET log = substr(log || @line, -${MAX_RUN_LOG}) WHERE id = @id`,
  );
  const finish = db.prepare(
    `UPDATE training_runs SET status = @status, result = @result, finished_at = @now
     WHERE id = @id AND status IN ('queued', 'running')`,
  );

  const failStale = (options: FailStaleOptions = {}): TrainingRun[] => {
    const alive = options.isAlive ?? processAlive;
    const failed: TrainingRun[] = [];
    for (const run of open.all()) {
      let why: string | undefined;
      if (run.status === "running" && (run.pid === null || !alive(run.pid)))
        why = `the retraining process (pid ${run.pid ?? "unknown"}) is no longer running: it was stopped or crashed before finishing; nothing it had not completed was applied`;
      else if (run.status === "queued" && options.queued)
        why = "the run was queued but no retraining process took it (the bot restarted before it started)";
      if (!why) continue;
      append.run({ id: run.id, line: logLine(why) });
      finish.run({ id: run.id, status: "failed", result: null, now: stamp() });
      failed.push(toRun(byId.get(run.id) as RunRow));
    }
    return failed;
  };

  const start = db.transaction((id: number, pid: number): StartRunResult => {
    failStale();
    const row = byId.get(id);
    if (!row) return { ok: false, reason: `there is no training run #${id}` };
    if (row.status !== "queued") return { ok: false, reason: `training run #${id} is already ${row.status}` };
    const other = open.all().find((r) => r.id !== id && r.status === "running");
    if (other)
      return {
        ok: false,
        reason: `another retraining (run #${other.id}) is running since ${other.started_at}; wait for it to finish`,
      };
    setRunning.run({ id, pid, now: stamp() });
    return { ok: true, run: toRun(byId.get(id) as RunRow) };
  });

  return {
    createRun: (request = {}) => {
      const { lastInsertRowid } = insert.run({
        requestedBy: request.requestedBy ?? null,
        parameters: JSON.stringify(request.parameters ?? {}),
        now: stamp(),
      });
      return toRun(byId.get(lastInsertRowid) as RunRow);
    },
    startRun: (id, pid) => start.immediate(id, pid),
    updateRunProgress: (id, progress) => {
      setProgress.run({ id, progress: JSON.stringify(progress) });
    },
    appendRunLog: (id, line) => {
      append.run({ id, line: logLine(line) });
    },
    finishRun: (id, status, result = null) =>
      finish.run({ id, status, result: result === null ? null : JSON.stringify(result), now: stamp() })
        .changes > 0,
    getRun: (id) => {
      const row = byId.get(id);
      return row ? toRun(row) : undefined;
    },
    latestRuns: (limit = 10) => latest.all(limit).map(toRun),
    activeRun: () => {
      const row = open.all()[0];
      return row ? toRun(row) : undefined;
    },
    failStaleRuns: (options) => db.transaction(() => failStale(options)).immediate(),
  };
}
