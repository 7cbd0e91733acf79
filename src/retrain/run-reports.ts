/**
 * What a retraining reports, in the store (training_runs.progress / .result) and as
 * messages from the `npm run retrain` child process to its parent (process.send):
 *
 *   { type: "started",  runId, pid }
 *   { type: "progress", runId, ...RetrainProgress }   at most a few a second
 *   { type: "log",      runId, line }                 the lines that also go to the run's log
 *   { type: "result",   ...RetrainSummary }           last, also for a failed run
 *
 * Scores are bits per note; a score that is not a finite number is null.
 */

export type RetrainPhase = "preparing" | "evaluating" | "training" | "saving";

export interface RetrainProgress {
  readonly phase: RetrainPhase;
  readonly step: number;
  readonly totalSteps: number;
  /** Mean training loss (nats/token) since the run started; null before the first step. */
  readonly loss: number | null;
  readonly tokensPerSecond: number;
  /** Seconds to the end of the run, the final evaluation included; null until training starts. */
  readonly etaSeconds: number | null;
}

export interface SplitScores {
  /** Bits per note on the base corpus's validation split. */
  readonly base: number | null;
  /** Bits per note on the held-out submissions. */
  readonly submissions: number | null;
}

export interface RetrainSummary {
  readonly runId: number;
  /** succeeded: the gate passed (and the version was activated unless dryRun); rejected: it did not. */
  readonly status: FinalRunStatus;
  readonly promoted: boolean;
  readonly dryRun: boolean;
  readonly versionId: string | null;
  readonly parent: string | null;
  /** The gate's verdict in plain words, one line per criterion (or the error). */
  readonly reasons: readonly string[];
  readonly old: SplitScores | null;
  readonly new: SplitScores | null;
  readonly toleranceBits: number;
  readonly submissions: { readonly train: readonly number[]; readonly heldOut: readonly number[] };
  readonly steps: number;
  readonly seconds: number;
  readonly error?: string;
}

/** A retraining run's states, as the store records them. */
export const RUN_STATUSES = ["queued", "running", "succeeded", "rejected", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** How a run ends: `rejected` means it trained but the gate kept the old model. */
export type FinalRunStatus = Exclude<RunStatus, "queued" | "running">;

/** The summary of a run that ended in an error before it could judge a model. */
export function failedSummary(
  runId: number,
  error: string,
  details: Partial<Pick<RetrainSummary, "dryRun" | "toleranceBits" | "seconds">> = {},
): RetrainSummary {
  return {
    runId,
    status: "failed",
    promoted: false,
    dryRun: details.dryRun ?? false,
    versionId: null,
    parent: null,
    reasons: [error],
    old: null,
    new: null,
    toleranceBits: details.toleranceBits ?? Number.NaN,
    submissions: { train: [], heldOut: [] },
    steps: 0,
    seconds: details.seconds ?? 0,
    error,
  };
}

export type RetrainMessage =
  | { readonly type: "started"; readonly runId: number; readonly pid: number }
  | ({ readonly type: "progress"; readonly runId: number } & RetrainProgress)
  | { readonly type: "log"; readonly runId: number; readonly line: string }
  | ({ readonly type: "result" } & RetrainSummary);

export function isRetrainMessage(value: unknown): value is RetrainMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "started" || type === "progress" || type === "log" || type === "result";
}
