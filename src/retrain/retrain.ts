import { existsSync } from "node:fs";
import type { TfBackend } from "../config.js";
import { initBackend } from "../model/backend.js";
import { bitsPerNote, countNotes, type EncodedTune, splitDataset } from "../model/data.js";
import { disposeWeights, type LstmWeights } from "../model/lstm-weights.js";
import { type LoadedModel, loadModelDir } from "../model/model-dir.js";
import { evaluateTunes, trainModel } from "../model/trainer.js";
import { analyseCorpus, readCorpusSources } from "../music/corpus.js";
import { openStore, type Store } from "../store/store.js";
import type { Submission } from "../store/submissions.js";
import { ModelVersions } from "../versions/model-versions.js";
import type { StepLoss } from "./curve.js";
import { applyGate } from "./gate.js";
import { failedSummary, type RetrainProgress, type RetrainSummary } from "./run-reports.js";
import type { EncodedSubmission, FineTuned, RetrainParameters, Scores, TrainingData } from "./run-types.js";
import { mixTraining, splitSubmissions } from "./split.js";
import { nullable, writeVersion } from "./version-writer.js";

/**
 * One retraining run, end to end: the active model fine-tuned on the approved
 * submissions mixed with replayed base-corpus tunes, old and new model scored on the
 * base corpus's validation split and on held-out submissions, the gate (gate.ts), a new
 * version directory, and activation when the gate passes. Every step is recorded in the
 * run's training_runs row; an error ends the run as failed with its message, never half-applied.
 */
export const RETRAIN_DEFAULTS = {
  steps: 200,
  learningRate: 5e-4,
  batchSize: 32,
  seqLen: 128,
  toleranceBits: 0.02,
  /** At least one to learn from and one held out to check on. */
  minSubmissions: 2,
  /** Share of the training tokens spent on submissions; the rest is replay. */
  submissionShare: 0.1,
  /** Measured on folk-2x256, 20 near-identical jigs, 200 steps: ×50 cost 0.017 bits/note on the base corpus, ×10 0.004. */
  maxRepeats: 10,
  seed: 1,
} as const;

export interface RetrainOptions extends Partial<RetrainParameters> {
  /** DATA_DIR: the store and the model versions. */
  readonly dataDir: string;
  /** MODEL_DIR: version 0. */
  readonly baseModelDir: string;
  /** CORPUS_DIR: replayed, and its validation split checks for forgetting. */
  readonly corpusDir: string;
  readonly backend?: TfBackend;
  /** A queued run created by the caller (the bot); otherwise one is created. */
  readonly runId?: number;
  readonly requestedBy?: string | null;
  /** MODEL_KEEP_VERSIONS: after the run, older version directories are deleted (see ModelVersions.prune). */
  readonly keepVersions?: number;
  /** Uses this store instead of opening DATA_DIR's (not closed). */
  readonly store?: Store;
  readonly onStarted?: (runId: number) => void;
  /** Once per phase change and once per training step. */
  readonly onProgress?: (progress: RetrainProgress) => void;
  /** Every line that also goes to the run's log. */
  readonly onLog?: (line: string) => void;
  /** Aborting ends the run as failed ("cancelled"); nothing is activated. */
  readonly signal?: AbortSignal;
}

/** A refusal or failure with a message meant for the admin. */
export class RetrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetrainError";
  }
}

/** Progress is written to the store at most this often (every step goes to onProgress). */
const STORE_PROGRESS_MS = 1000;

export function retrainParameters(options: Partial<RetrainParameters>): RetrainParameters {
  const p: RetrainParameters = {
    steps: options.steps ?? RETRAIN_DEFAULTS.steps,
    learningRate: options.learningRate ?? RETRAIN_DEFAULTS.learningRate,
    batchSize: options.batchSize ?? RETRAIN_DEFAULTS.batchSize,
    seqLen: options.seqLen ?? RETRAIN_DEFAULTS.seqLen,
    toleranceBits: options.toleranceBits ?? RETRAIN_DEFAULTS.toleranceBits,
    dryRun: options.dryRun ?? false,
    minSubmissions: Math.max(2, options.minSubmissions ?? RETRAIN_DEFAULTS.minSubmissions),
    submissionShare: options.submissionShare ?? RETRAIN_DEFAULTS.submissionShare,
    maxRepeats: options.maxRepeats ?? RETRAIN_DEFAULTS.maxRepeats,
    seed: options.seed ?? RETRAIN_DEFAULTS.seed,
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 1)) problems.push(`${name} must be a positive integer (got ${v})`);
  };
  positiveInt("steps", p.steps);
  positiveInt("batch", p.batchSize);
  positiveInt("seq", p.seqLen);
  positiveInt("maxRepeats", p.maxRepeats);
  if (!(p.learningRate > 0 && Number.isFinite(p.learningRate)))
    problems.push(`the learning rate must be a positive number (got ${p.learningRate})`);
  if (!(p.toleranceBits >= 0)) problems.push(`the tolerance must be ≥ 0 bits (got ${p.toleranceBits})`);
  if (!(p.submissionShare > 0 && p.submissionShare < 1))
    problems.push(`submissionShare must be between 0 and 1 (got ${p.submissionShare})`);
  if (problems.length > 0) throw new RetrainError(problems.join("; "));
  return p;
}

export async function retrain(options: RetrainOptions): Promise<RetrainSummary> {
  const store = options.store ?? openStore(options.dataDir);
  try {
    return await recordedRun(store, options);
  } finally {
    if (!options.store) store.close();
  }
}

async function recordedRun(store: Store, options: RetrainOptions): Promise<RetrainSummary> {
  let params: RetrainParameters | undefined;
  let problem: string | undefined;
  try {
    params = retrainParameters(options);
  } catch (error) {
    problem = (error as Error).message;
  }
  const runId =
    options.runId ??
    store.createRun({ requestedBy: options.requestedBy ?? null, parameters: { ...(params ?? {}) } }).id;
  const startedAt = performance.now();
  const toleranceBits = params?.toleranceBits ?? options.toleranceBits ?? RETRAIN_DEFAULTS.toleranceBits;
  const fail = (message: string): RetrainSummary => {
    store.appendRunLog(runId, `failed: ${message}`);
    options.onLog?.(`failed: ${message}`);
    const summary = failedSummary(runId, message, {
      dryRun: options.dryRun ?? false,
      toleranceBits,
      seconds: (performance.now() - startedAt) / 1000,
    });
    store.finishRun(runId, "failed", summary);
    return summary;
  };

  const started = store.startRun(runId, process.pid);
  if (!started.ok) {
    // Only a run still waiting is ours to fail; a running or finished one belongs to someone else.
    if (store.getRun(runId)?.status !== "queued") throw new RetrainError(started.reason);
    return fail(started.reason);
  }
  options.onStarted?.(runId);
  if (problem !== undefined || params === undefined) return fail(problem ?? "invalid parameters");

  let lastStoreWrite = 0;
  let lastPhase: string | undefined;
  const progress = (p: RetrainProgress): void => {
    const now = performance.now();
    if (p.phase !== lastPhase || now - lastStoreWrite >= STORE_PROGRESS_MS || p.step === p.totalSteps) {
      store.updateRunProgress(runId, p);
      lastStoreWrite = now;
      lastPhase = p.phase;
    }
    options.onProgress?.(p);
  };
  const log = (line: string): void => {
    store.appendRunLog(runId, line);
    options.onLog?.(line);
  };
  try {
    const outcome = await fineTuneAndJudge(store, options, params, runId, { progress, log });
    const { passed, ...judged } = outcome;
    const summary: RetrainSummary = {
      runId,
      ...judged,
      status: passed ? "succeeded" : "rejected",
      dryRun: params.dryRun,
      toleranceBits,
      seconds: (performance.now() - startedAt) / 1000,
    };
    log(`finished in ${formatDuration(summary.seconds)}`);
    store.finishRun(runId, summary.status, summary);
    return summary;
  } catch (error) {
    const message =
      (error as Error).name === "AbortError" ? "the retraining was cancelled" : (error as Error).message;
    return fail(message);
  }
}

interface Reporters {
  readonly progress: (p: RetrainProgress) => void;
  readonly log: (line: string) => void;
}

type Outcome = Pick<
  RetrainSummary,
  "promoted" | "versionId" | "parent" | "reasons" | "old" | "new" | "submissions" | "steps"
> & { readonly passed: boolean };

async function fineTuneAndJudge(
  store: Store,
  options: RetrainOptions,
  params: RetrainParameters,
  runId: number,
  reporters: Reporters,
): Promise<Outcome> {
  const { progress, log } = reporters;
  const phase = (p: RetrainProgress["phase"], step = 0) =>
    progress({ phase: p, step, totalSteps: params.steps, loss: null, tokensPerSecond: 0, etaSeconds: null });
  phase("preparing");
  checkPrerequisites(store, options, params);

  const versions = new ModelVersions({ dataDir: options.dataDir, baseModelDir: options.baseModelDir, store });
  versions.reconcile();
  const active = versions.activeVersion();
  if (active.fallbackReason) log(`note: ${active.fallbackReason}`);
  const backend = await initBackend(options.backend ?? "auto");
  log(`fine-tuning version ${active.id} on ${backend.name}`);

  const model = await loadModelDir(active.dir);
  let trained: FineTuned | undefined;
  try {
    versions.checkVocabulary(active.id, model.vocabulary);
    const data = gatherData(store, options, params, model, log);

    phase("evaluating");
    const evalStart = performance.now();
    const old = await scores(model.weights, data.base.validation, data.split.heldOut, options.signal);
    const evalSeconds = (performance.now() - evalStart) / 1000;
    log(
      `current model ${active.id}: ${fmt(old.base)} bits/note on the base corpus, ${fmt(old.submissions)} on the held-out submissions (${evalSeconds.toFixed(1)} s)`,
    );

    trained = await fineTune(model, data, params, evalSeconds, options.signal, reporters);

    phase("evaluating", params.steps);
    const after = await scores(trained.weights, data.base.validation, data.split.heldOut, options.signal);
    log(
      `new model: ${fmt(after.base)} bits/note on the base corpus, ${fmt(after.submissions)} on the held-out submissions`,
    );
    const decision = applyGate(old, after, params.toleranceBits);
    for (const reason of decision.reasons) log(reason);

    phase("saving", params.steps);
    const id = await writeVersion(versions, store, {
      runId,
      parent: active.id,
      model,
      data,
      trained,
      params,
      backend: backend.name,
      old,
      after,
      decision,
    });
    log(`wrote version ${id} to ${versions.dirOf(id)}`);

    let promoted = false;
    if (decision.passed && !params.dryRun) {
      await versions.activate(id);
      promoted = true;
      log(`version ${id} is now active; ${data.ids.train.length} submissions marked used`);
    } else if (decision.passed) {
      log(`dry run: the gate passed but ${id} was not activated (activate it to use it)`);
    } else {
      log(`kept version ${active.id}: ${id} did not pass the gate`);
    }
    if (options.keepVersions !== undefined) {
      // Housekeeping: the run has succeeded whatever happens here.
      try {
        const removed = await versions.prune(options.keepVersions);
        if (removed.length > 0)
          log(`deleted old versions ${removed.join(", ")} (MODEL_KEEP_VERSIONS=${options.keepVersions})`);
      } catch (error) {
        log(`could not delete old versions: ${(error as Error).message}`);
      }
    }
    return {
      passed: decision.passed,
      promoted,
      versionId: id,
      parent: active.id,
      reasons: decision.reasons,
      old: nullable(old),
      new: nullable(after),
      submissions: data.ids,
      steps: trained.steps,
    };
  } finally {
    disposeWeights(model.weights);
    if (trained) disposeWeights(trained.weights);
  }
}

/** Cheap checks before loading anything: enough approved tunes, and the base corpus. */
function checkPrerequisites(store: Store, options: RetrainOptions, params: RetrainParameters): void {
  const approved = store.countSubmissions("approved");
  if (approved < params.minSubmissions) {
    const pending = store.countSubmissions("pending");
    throw new RetrainError(
      `only ${approved} approved submission${approved === 1 ? " is" : "s are"} waiting to be trained on; ` +
        `retraining needs at least ${params.minSubmissions} (some to learn from, one held out to check the model improved). ` +
        (pending > 0
          ? `${pending} submission${pending === 1 ? " is" : "s are"} pending review: approve the good ones first.`
          : "Ask members to /submit tunes, then approve them."),
    );
  }
  if (!existsSync(options.corpusDir))
    throw new RetrainError(
      `the base corpus ${options.corpusDir} is missing (set CORPUS_DIR): retraining replays it and checks the new model against it`,
    );
}

/** The approved submissions the model can write, split train / held out, and the base corpus split. */
function gatherData(
  store: Store,
  options: RetrainOptions,
  params: RetrainParameters,
  model: LoadedModel,
  log: (line: string) => void,
): TrainingData {
  const { vocabulary } = model;
  const usable: EncodedSubmission[] = [];
  for (const s of store.listSubmissions("approved")) {
    const missing = vocabulary.unknown(s.tokens);
    if (missing.length > 0) {
      log(
        `skipping submission #${s.id} "${s.title}": the model cannot write ${missing.slice(0, 4).join(" ")}`,
      );
      continue;
    }
    usable.push(encodeSubmission(s, vocabulary.encode(s.tokens)));
  }
  if (usable.length < params.minSubmissions)
    throw new RetrainError(
      `only ${usable.length} approved submissions can be written in the model's vocabulary; at least ${params.minSubmissions} are needed`,
    );
  const split = splitSubmissions(usable);
  const ids = { train: split.train.map((s) => s.id), heldOut: split.heldOut.map((s) => s.id) };
  log(
    `${usable.length} approved submissions: ${ids.train.length} to learn from, ${ids.heldOut.length} held out to check on (#${ids.heldOut.join(", #")})`,
  );

  const analysis = analyseCorpus(readCorpusSources(options.corpusDir));
  const representable = analysis.usable.filter((t) => vocabulary.unknown(t.tokens).length === 0);
  const base = splitDataset(representable, vocabulary);
  if (base.validation.length === 0 || base.train.length === 0)
    throw new RetrainError(
      `the base corpus ${options.corpusDir} is too small to split into training and validation`,
    );
  log(
    `base corpus: ${base.train.length} training tunes to replay, ${base.validation.length} validation tunes to check forgetting`,
  );
  return { split, ids, base, analysisHash: analysis.contentHash, corpusDir: options.corpusDir };
}

/** The active model trained on the submissions mixed with replayed base tunes, reporting every step. */
async function fineTune(
  model: LoadedModel,
  data: TrainingData,
  params: RetrainParameters,
  evalSeconds: number,
  signal: AbortSignal | undefined,
  { progress, log }: Reporters,
): Promise<FineTuned> {
  const mix = mixTraining(data.split.train, data.base.train, {
    budgetTokens: params.steps * params.batchSize * params.seqLen,
    submissionShare: params.submissionShare,
    maxRepeats: params.maxRepeats,
    seed: params.seed,
  });
  log(
    `training mix: the ${data.ids.train.length} submissions ×${mix.repeats} (${mix.submissionTokens} tokens) and ${mix.replayTunes} replayed tunes (${mix.replayTokens} tokens); ` +
      `${params.steps} steps of ${params.batchSize} × ${params.seqLen} tokens at learning rate ${params.learningRate}`,
  );

  const curve: StepLoss[] = [];
  const every = Math.max(1, Math.round(params.steps / 10));
  const window = Math.max(1, Math.round(params.steps / 50));
  let windowStart = { step: 0, sum: 0 };
  let lastMean = Number.NaN;
  let tokensPerSecond = 0;
  const started = performance.now();
  const result = await trainModel({
    train: mix.tunes,
    // Required by the trainer but unused: the mix is longer than the run, so no epoch ends.
    validation: data.base.validation.map((t) => t.ids),
    config: model.weights.config,
    hyper: {
      seqLen: params.seqLen,
      batchSize: params.batchSize,
      learningRate: params.learningRate,
      clipNorm: 5,
      maxSteps: params.steps,
      patience: Number.MAX_SAFE_INTEGER,
      seed: params.seed,
      lrDecayFactor: 1,
      lrPatience: Number.MAX_SAFE_INTEGER,
    },
    initialWeights: model.weights,
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      lastMean = p.trainLoss;
      tokensPerSecond = p.tokensPerSecond;
      // Steps are the same size, so the window's mean follows from the running mean.
      const sum = p.trainLoss * p.step;
      if (p.step - windowStart.step >= window || p.step === params.steps) {
        curve.push({ step: p.step, loss: (sum - windowStart.sum) / (p.step - windowStart.step) });
        windowStart = { step: p.step, sum };
      }
      const eta = p.etaSeconds + evalSeconds;
      progress({
        phase: "training",
        step: p.step,
        totalSteps: params.steps,
        loss: Number.isFinite(p.trainLoss) ? p.trainLoss : null,
        tokensPerSecond: p.tokensPerSecond,
        etaSeconds: Number.isFinite(eta) ? eta : null,
      });
      if (p.step % every === 0 || p.step === params.steps)
        log(
          `step ${p.step}/${params.steps}: loss ${fmt(p.trainLoss)} nats/token, ${Math.round(p.tokensPerSecond)} tokens/s, about ${formatDuration(eta)} left`,
        );
    },
  });
  const fineTuned: FineTuned = {
    weights: result.bestWeights,
    mix,
    curve,
    lastMean,
    seconds: (performance.now() - started) / 1000,
    tokensPerSecond,
    steps: result.step,
    stopReason: result.stopReason,
  };
  if (result.stopReason !== "max-steps") {
    disposeWeights(result.bestWeights);
    if (result.stopReason === "aborted") throw abortError();
    // With maxSteps and no epoch end, anything else means the mix was too short.
    throw new RetrainError(`training stopped early (${result.stopReason})`);
  }
  return fineTuned;
}

function encodeSubmission(
  s: Submission,
  ids: number[],
): EncodedTune & { readonly id: number; readonly contentHash: string } {
  return { id: s.id, contentHash: s.contentHash, title: s.title, ids, notes: countNotes(s.tokens) };
}

async function scores(
  weights: LstmWeights,
  base: readonly EncodedTune[],
  heldOut: readonly EncodedTune[],
  signal: AbortSignal | undefined,
): Promise<Scores> {
  const opts = signal ? { signal } : {};
  const b = await evaluateTunes(
    weights,
    base.map((t) => t.ids),
    opts,
  );
  const s = await evaluateTunes(
    weights,
    heldOut.map((t) => t.ids),
    opts,
  );
  const notes = (tunes: readonly EncodedTune[]) => tunes.reduce((n, t) => n + t.notes, 0);
  return {
    base: bitsPerNote(b.nll, notes(base)),
    submissions: bitsPerNote(s.nll, notes(heldOut)),
    baseNats: b.nll / Math.max(1, b.tokens),
  };
}

function abortError(): Error {
  const error = new Error("aborted");
  error.name = "AbortError";
  return error;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}
