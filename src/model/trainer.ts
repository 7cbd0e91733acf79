import { tf } from "./backend.js";
import { batchAt, epochOrder, packRows } from "./batching.js";
import { fingerprint } from "./checkpoint.js";
import { lstmGradients, lstmLoss } from "./lstm.js";
import {
  cloneWeights,
  disposeWeights,
  type LstmState,
  type LstmWeights,
  validateConfig,
  weightsFromArrays,
  weightsToArrays,
  weightVariables,
} from "./lstm-weights.js";
import { openSession, saveSession, type TrainingSession } from "./train-session.js";
import type {
  EpochRecord,
  StopReason,
  TrainHyperparameters,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from "./train-types.js";

/**
 * Training loop for the LSTM of lstm.ts: hand-written BPTT, Adam, global-norm clipping,
 * learning-rate decay on a validation plateau, early stopping, exact checkpoint/resume.
 * trainModel runs it in named stages: check the inputs, open a session (train-session.ts: fresh
 * or resumed), train an epoch's windows, validate, close the epoch, checkpoint, report.
 * Batching is in batching.ts, checkpoints in checkpoint.ts, the option types in train-types.ts.
 */

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface EvaluateOptions {
  readonly batchSize?: number;
  readonly seqLen?: number;
  readonly signal?: AbortSignal;
}

/** Total NLL (nats) and target count of `tunes` under `weights`, each tune from a zero state. */
export async function evaluateTunes(
  weights: LstmWeights,
  tunes: readonly (readonly number[])[],
  options: EvaluateOptions = {},
): Promise<{ nll: number; tokens: number; correct: number }> {
  const batchSize = options.batchSize ?? 32;
  const seqLen = options.seqLen ?? 128;
  const packed = packRows(
    tunes,
    tunes.map((_, i) => i),
    batchSize,
    seqLen,
  );
  let state: LstmState | undefined;
  let nll = 0;
  let tokens = 0;
  let correct = 0;
  for (let chunk = 0; chunk < packed.chunks; chunk++) {
    if (options.signal?.aborted) throw new AbortError();
    const r = lstmLoss(weights, batchAt(packed, chunk, seqLen), state);
    state = r.state;
    nll += r.nll;
    tokens += r.tokens;
    correct += r.correct;
    await yieldToEventLoop();
  }
  return { nll, tokens, correct };
}

class AbortError extends Error {
  constructor() {
    super("aborted");
    this.name = "AbortError";
  }
}

function validateHyper(h: TrainHyperparameters): void {
  const problems: string[] = [];
  if (!(Number.isInteger(h.seqLen) && h.seqLen >= 1)) problems.push("seqLen must be a positive integer");
  if (!(Number.isInteger(h.batchSize) && h.batchSize >= 1))
    problems.push("batchSize must be a positive integer");
  if (!(h.learningRate > 0)) problems.push("learningRate must be > 0");
  if (!(h.clipNorm >= 0)) problems.push("clipNorm must be ≥ 0");
  if (h.maxEpochs === undefined && h.maxSteps === undefined) problems.push("give maxEpochs or maxSteps");
  if (!(h.patience >= 1)) problems.push("patience must be ≥ 1");
  if (!(h.lrDecayFactor > 0 && h.lrDecayFactor <= 1)) problems.push("lrDecayFactor must be in (0, 1]");
  if (!(h.lrPatience >= 1)) problems.push("lrPatience must be ≥ 1");
  if (problems.length > 0) throw new Error(`invalid training hyper-parameters: ${problems.join("; ")}`);
}

/** Refuses tunes with token ids the model cannot embed, and empty splits. */
function checkTrainingData(options: TrainOptions): void {
  const { config, train, validation } = options;
  if (train.length === 0) throw new Error("no training tunes");
  if (validation.length === 0) throw new Error("no validation tunes");
  const vocabularyLimit = config.vocabSize;
  for (const set of [train, validation])
    for (const tune of set)
      for (const id of tune)
        if (!(Number.isInteger(id) && id >= 0 && id < vocabularyLimit))
          throw new Error(`token id ${id} is outside the model's vocabulary of ${vocabularyLimit}`);
}

/** The run's pace, for progress and its time estimate (validation included). */
interface Pace {
  /** Steps an epoch takes, estimated from the training tokens. */
  readonly stepsPerEpoch: number;
  /** Where maxSteps or maxEpochs ends the run (early stopping may end it sooner). */
  readonly plannedSteps: number;
  trainSeconds: number;
  tokens: number;
  steps: number;
  lastValidationSeconds: number;
}

function startPace(options: TrainOptions): Pace {
  const { hyper, train } = options;
  const stepsPerEpoch = Math.max(
    1,
    Math.ceil(train.reduce((s, t) => s + Math.max(0, t.length - 1), 0) / (hyper.batchSize * hyper.seqLen)),
  );
  const plannedSteps = Math.min(
    hyper.maxSteps ?? Number.POSITIVE_INFINITY,
    (hyper.maxEpochs ?? Number.POSITIVE_INFINITY) * stepsPerEpoch,
  );
  return { stepsPerEpoch, plannedSteps, trainSeconds: 0, tokens: 0, steps: 0, lastValidationSeconds: 0 };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  validateConfig(options.config);
  validateHyper(options.hyper);
  checkTrainingData(options);
  const session = await openSession(options, fingerprint(options.train, options.validation));
  const { hyper, state } = session;
  const pace = startPace(options);
  const checkpoint = async (): Promise<void> => {
    if (options.checkpointDir) await saveSession(session, options.checkpointDir);
  };
  let stopReason: StopReason | undefined;
  try {
    while (!stopReason) {
      if (hyper.maxEpochs !== undefined && state.epoch >= hyper.maxEpochs) {
        stopReason = "max-epochs";
        break;
      }
      if (state.phase === "train" && state.chunk === 0 && state.epochsSinceBest >= hyper.patience) {
        stopReason = "early-stop"; // resumed after an early stop
        break;
      }
      if (state.phase === "train") {
        stopReason = await trainEpoch(session, options, pace, checkpoint);
        if (stopReason) break;
        state.phase = "validate";
      }
      const val = await validateEpoch(session, options, pace);
      if (val === "aborted") {
        stopReason = "aborted";
        break;
      }
      const record = recordEpoch(session, val, pace);
      stopReason = closeEpoch(session, record);
      await checkpoint();
      options.onEpoch?.(record);
    }
    if (stopReason === "aborted" || stopReason === "max-steps") await checkpoint();
    return trainingResult(session, stopReason ?? "max-epochs");
  } finally {
    session.optimizer.dispose();
    disposeWeights(session.weights);
  }
}

/**
 * Trains the rest of the current epoch's windows, one Adam step each, reporting progress
 * and checkpointing every options.checkpointEverySteps. Returns why it stopped early, if it did.
 */
async function trainEpoch(
  session: TrainingSession,
  options: TrainOptions,
  pace: Pace,
  checkpoint: () => Promise<void>,
): Promise<StopReason | undefined> {
  const { hyper, state, weights, optimizer, dropoutRng } = session;
  const { train, signal } = options;
  const T = hyper.seqLen;
  const vars = weightVariables(weights);
  const packed = packRows(train, epochOrder(train.length, hyper.seed, state.epoch), hyper.batchSize, T);
  while (state.chunk < packed.chunks) {
    if (hyper.maxSteps !== undefined && state.step >= hyper.maxSteps) return "max-steps";
    if (signal?.aborted) return "aborted";
    const t0 = performance.now();
    const batch = batchAt(packed, state.chunk, T);
    const result = lstmGradients(weights, batch, state.chunk === 0 ? undefined : session.carry, {
      dropoutRng,
    });
    session.carry = result.state;
    try {
      if (result.tokens > 0) applyClipped(optimizer, vars, result.grads, hyper.clipNorm);
    } finally {
      tf.dispose(result.grads);
    }
    const seconds = (performance.now() - t0) / 1000;
    state.step++;
    state.chunk++;
    state.epochNll += result.nll;
    state.epochTokens += result.tokens;
    state.epochCorrect = (state.epochCorrect ?? 0) + result.correct;
    state.epochSeconds += seconds;
    pace.trainSeconds += seconds;
    pace.tokens += result.tokens;
    pace.steps++;
    options.onProgress?.(progressOf(session, pace, packed.chunks));
    if (options.checkpointEverySteps && state.step % options.checkpointEverySteps === 0) await checkpoint();
    await yieldToEventLoop();
  }
  return undefined;
}

/** Where the run stands after a step, with the time it should still take. */
function progressOf(session: TrainingSession, pace: Pace, stepsInEpoch: number): TrainProgress {
  const { state } = session;
  const secondsPerStep = pace.trainSeconds / pace.steps;
  const remainingSteps = Math.max(0, pace.plannedSteps - state.step);
  const remainingEpochs = Math.max(0, Math.ceil(remainingSteps / pace.stepsPerEpoch));
  return {
    step: state.step,
    epoch: state.epoch,
    stepInEpoch: state.chunk,
    stepsInEpoch,
    trainLoss: state.epochTokens > 0 ? state.epochNll / state.epochTokens : 0,
    trainAccuracy: state.epochTokens > 0 ? (state.epochCorrect ?? 0) / state.epochTokens : 0,
    tokensPerSecond: pace.trainSeconds > 0 ? pace.tokens / pace.trainSeconds : 0,
    etaSeconds: Number.isFinite(remainingSteps)
      ? remainingSteps * secondsPerStep + remainingEpochs * pace.lastValidationSeconds
      : Number.POSITIVE_INFINITY,
    learningRate: state.learningRate,
  };
}

type Validation = Awaited<ReturnType<typeof evaluateTunes>>;

/** The validation tunes scored at the epoch's end, or "aborted". */
async function validateEpoch(
  session: TrainingSession,
  options: TrainOptions,
  pace: Pace,
): Promise<Validation | "aborted"> {
  const { hyper } = session;
  const v0 = performance.now();
  let val: Validation;
  try {
    val = await evaluateTunes(session.weights, options.validation, {
      batchSize: hyper.batchSize,
      seqLen: hyper.seqLen,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof AbortError) return "aborted";
    throw error;
  }
  pace.lastValidationSeconds = (performance.now() - v0) / 1000;
  return val;
}

/** The epoch's line in the history; whether it improved on the best. */
function recordEpoch(session: TrainingSession, val: Validation, pace: Pace): EpochRecord {
  const { hyper, state } = session;
  const valLoss = val.tokens > 0 ? val.nll / val.tokens : Number.NaN;
  const improved = state.bestValLoss === null || valLoss < state.bestValLoss - (hyper.minImprovement ?? 0);
  return {
    epoch: state.epoch,
    step: state.step,
    trainLoss: state.epochTokens > 0 ? state.epochNll / state.epochTokens : Number.NaN,
    trainAccuracy: state.epochTokens > 0 ? (state.epochCorrect ?? 0) / state.epochTokens : Number.NaN,
    valLoss,
    valAccuracy: val.tokens > 0 ? val.correct / val.tokens : Number.NaN,
    valNll: val.nll,
    valTokens: val.tokens,
    trainTokens: state.epochTokens,
    learningRate: state.learningRate,
    seconds: state.epochSeconds + pace.lastValidationSeconds,
    improved,
  };
}

/**
 * Ends the epoch: keeps the best weights, decays the learning rate on a plateau, resets
 * the epoch's counters. Returns why training ends here (early stop, last epoch), if it does.
 */
function closeEpoch(session: TrainingSession, record: EpochRecord): StopReason | undefined {
  const { hyper, state } = session;
  state.history.push(record);
  if (record.improved) {
    state.bestValLoss = record.valLoss;
    state.bestEpoch = state.epoch;
    state.bestValNll = record.valNll;
    state.bestValTokens = record.valTokens;
    state.epochsSinceBest = 0;
    state.epochsSinceLrChange = 0;
    session.bestArrays = weightsToArrays(session.weights);
  } else {
    state.epochsSinceBest++;
    state.epochsSinceLrChange++;
    if (state.epochsSinceLrChange >= hyper.lrPatience && hyper.lrDecayFactor < 1) {
      state.learningRate = Math.max(hyper.minLearningRate ?? 0, state.learningRate * hyper.lrDecayFactor);
      session.adam.learningRate = state.learningRate;
      state.epochsSinceLrChange = 0;
    }
  }
  state.epoch++;
  state.chunk = 0;
  state.phase = "train";
  state.epochNll = 0;
  state.epochTokens = 0;
  state.epochCorrect = 0;
  state.epochSeconds = 0;
  session.carry = undefined;
  if (state.epochsSinceBest >= hyper.patience) return "early-stop";
  if (hyper.maxEpochs !== undefined && state.epoch >= hyper.maxEpochs) return "max-epochs";
  return undefined;
}

/** The best weights (the current ones if no epoch completed) and how the run went. */
function trainingResult(session: TrainingSession, stopReason: StopReason): TrainResult {
  const { state, config } = session;
  const bestWeights = session.bestArrays
    ? weightsFromArrays(config, session.bestArrays)
    : cloneWeights(session.weights);
  return {
    history: state.history,
    bestWeights,
    ...(state.bestValLoss !== null
      ? {
          best: {
            epoch: state.bestEpoch,
            valLoss: state.bestValLoss,
            valNll: state.bestValNll,
            valTokens: state.bestValTokens,
          },
        }
      : {}),
    stopReason,
    step: state.step,
    epoch: state.epoch,
    learningRate: state.learningRate,
    resumed: session.resumed,
  };
}

/** Global-norm clipping, then one Adam step. Skips the update if the norm is not finite. */
function applyClipped(
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  grads: tf.Tensor[],
  clipNorm: number,
): void {
  const norm = tf.tidy(
    () => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number,
  );
  if (!Number.isFinite(norm)) return;
  const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
  tf.tidy(() => {
    const map: tf.NamedTensorMap = {};
    vars.forEach((v, i) => {
      const g = grads[i] as tf.Tensor;
      map[v.name] = scale === 1 ? g : tf.mul(g, scale);
    });
    optimizer.applyGradients(map);
  });
}
