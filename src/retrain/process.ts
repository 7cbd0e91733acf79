import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { failedSummary, isRetrainMessage, type RetrainMessage, type RetrainSummary } from "./run-reports.js";

/**
 * Runs `npm run retrain` as a child process for a parent such as the bot: creates the
 * queued run row, forks scripts/retrain.ts (under tsx, in the same Node) with --run-id,
 * relays its messages, and when it exits without a result (killed, crashed) marks the
 * run failed with the reason. Training in a child keeps the bot's event loop free and
 * lets a crash or an out-of-memory kill take only the run down.
 */
export const RETRAIN_SCRIPT = fileURLToPath(new URL("../../scripts/retrain.ts", import.meta.url));

export interface RetrainProcessOptions {
  readonly store: Store;
  readonly requestedBy?: string | null;
  readonly steps?: number;
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly seqLen?: number;
  readonly dryRun?: boolean;
  /**
   * A queued run created by someone else to take over (a job-queue worker running a run the
   * bot queued); by default a new run is created.
   */
  readonly runId?: number;
  /** The child's environment (DATA_DIR, MODEL_DIR, CORPUS_DIR, TF_BACKEND…); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly onMessage?: (message: RetrainMessage) => void;
}

export interface RetrainProcess {
  readonly runId: number;
  readonly child: ChildProcess;
  /** The run's summary once the process has exited, including a failure the parent recorded. */
  readonly done: Promise<RetrainSummary>;
  /** Asks the child to stop (SIGTERM): it records the run as cancelled and activates nothing. */
  cancel(): void;
}

/** The child's environment for a parent configured with `cfg` (whether from the environment or a caller). */
export function retrainChildEnv(cfg: Config, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    DATA_DIR: cfg.dataDir,
    MODEL_DIR: cfg.modelDir,
    CORPUS_DIR: cfg.corpusDir,
    TF_BACKEND: cfg.tfBackend,
    RETRAIN_STEPS: String(cfg.retrainSteps),
    RETRAIN_TOLERANCE_BITS: String(cfg.retrainToleranceBits),
    RETRAIN_BATCH_SIZE: String(cfg.retrainBatchSize),
    RETRAIN_SEQ_LEN: String(cfg.retrainSeqLen),
  };
}

/** Another run is queued or running. */
export class RetrainBusyError extends Error {}

export function startRetrainProcess(options: RetrainProcessOptions): RetrainProcess {
  const { store } = options;
  store.failStaleRuns();
  const busy = store.activeRun();
  if (busy && busy.id !== options.runId)
    throw new RetrainBusyError(
      `retraining run #${busy.id} is already ${busy.status} (requested by ${busy.requestedBy ?? "someone"})`,
    );
  const parameters = {
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.seqLen !== undefined ? { seqLen: options.seqLen } : {}),
    dryRun: options.dryRun ?? false,
  };
  const run =
    options.runId === undefined
      ? store.createRun({ requestedBy: options.requestedBy ?? null, parameters })
      : store.getRun(options.runId);
  if (!run) throw new Error(`there is no retraining run #${options.runId}`);
  if (run.status !== "queued") throw new Error(`retraining run #${run.id} is already ${run.status}`);
  const args = ["--run-id", String(run.id)];
  if (options.steps !== undefined) args.push("--steps", String(options.steps));
  if (options.learningRate !== undefined) args.push("--lr", String(options.learningRate));
  if (options.batchSize !== undefined) args.push("--batch", String(options.batchSize));
  if (options.seqLen !== undefined) args.push("--seq", String(options.seqLen));
  if (options.dryRun) args.push("--dry-run");
  if (options.requestedBy) args.push("--requested-by", options.requestedBy);

  // --import in this very process, not the tsx binary: a wrapper process would leave the
  // real one running when the parent kills the pid it knows.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = fork(RETRAIN_SCRIPT, args, {
    execArgv: ["--import", tsx],
    env: options.env ?? process.env,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderrTail = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  let result: RetrainSummary | undefined;
  child.on("message", (message) => {
    if (!isRetrainMessage(message)) return;
    if (message.type === "result") {
      const { type: _type, ...summary } = message;
      result = summary;
    }
    options.onMessage?.(message);
  });

  const done = new Promise<RetrainSummary>((resolve) => {
    let settled = false;
    const finish = (why: string) => {
      if (settled) return;
      settled = true;
      if (result) return resolve(result);
      const lastLine = stderrTail.trim().split("\n").at(-1);
      const error = `the retraining process ${why} before finishing${lastLine ? ` (last output: ${lastLine})` : ""}`;
      resolve(recordFailure(store, run.id, error, options.dryRun ?? false));
    };
    child.once("error", (e) => finish(`could not start (${e.message})`));
    // "close", not "exit": by then every message the child sent has been delivered.
    child.once("close", (code, signal) =>
      finish(signal ? `was killed by ${signal}` : `exited with status ${code ?? "unknown"}`),
    );
  });

  return {
    runId: run.id,
    child,
    done,
    cancel: () => {
      child.kill("SIGTERM");
    },
  };
}

/**
 * Records a run that ended without its own result (killed, crashed, lost) as failed and
 * returns its summary; a run that did record an outcome keeps it.
 */
export function recordFailure(store: Store, runId: number, error: string, dryRun = false): RetrainSummary {
  const row = store.getRun(runId);
  if (row?.result && row.status !== "queued" && row.status !== "running") return row.result;
  const summary = failedSummary(runId, error, { dryRun });
  store.appendRunLog(runId, error);
  store.finishRun(runId, "failed", summary);
  return store.getRun(runId)?.result ?? summary;
}
