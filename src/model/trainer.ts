import { tf } from "./backend.js";
import { batchAt, epochOrder, packRows } from "./batching.js";
import {
  adamInternals,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  fingerprint,
  type NamedTensor,
  readCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./checkpoint.js";
import { lstmGradients, lstmLoss } from "./lstm.js";
import {
  cloneWeights,
  describe,
  disposeWeights,
  initWeights,
  type LstmConfig,
  type LstmState,
  type LstmWeights,
  validateConfig,
  weightShapes,
  weightsFromArrays,
  weightsToArrays,
  weightVariables,
} from "./lstm-weights.js";
import { Rng } from "./rng.js";
import type {
  EpochRecord,
  StopReason,
  TrainHyperparameters,
  TrainOptions,
  TrainResult,
} from "./train-types.js";

/**
 * Training loop for the LSTM of lstm.ts: hand-written BPTT, Adam, global-norm clipping,
 * learning-rate decay on a validation plateau, early stopping, exact checkpoint/resume.
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

function sameConfig(a: LstmConfig, b: LstmConfig): boolean {
  return (
    a.vocabSize === b.vocabSize && a.layers === b.layers && a.units === b.units && a.dropout === b.dropout
  );
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { config, hyper, train, validation, signal } = options;
  validateConfig(config);
  validateHyper(hyper);
  if (train.length === 0) throw new Error("no training tunes");
  if (validation.length === 0) throw new Error("no validation tunes");
  const vocabularyLimit = config.vocabSize;
  for (const set of [train, validation])
    for (const tune of set)
      for (const id of tune)
        if (!(Number.isInteger(id) && id >= 0 && id < vocabularyLimit))
          throw new Error(`token id ${id} is outside the model's vocabulary of ${vocabularyLimit}`);
  const B = hyper.batchSize;
  const T = hyper.seqLen;
  const L = config.layers;
  const U = config.units;
  const dataFingerprint = fingerprint(train, validation);

  let checkpoint: Checkpoint | undefined;
  if (options.resume) {
    if (!options.checkpointDir) throw new Error("resume needs a checkpointDir");
    checkpoint = await readCheckpoint(options.checkpointDir);
    if (!checkpoint) throw new Error(`no checkpoint to resume in ${options.checkpointDir}`);
    const j = checkpoint.json;
    if (!sameConfig(j.config, config))
      throw new Error(`the checkpoint is for ${describe(j.config)}, not ${describe(config)}`);
    if (j.hyper.batchSize !== B || j.hyper.seqLen !== T)
      throw new Error(
        `the checkpoint was trained with batchSize ${j.hyper.batchSize} and seqLen ${j.hyper.seqLen}; resume with the same values`,
      );
    if (j.hyper.seed !== hyper.seed) throw new Error(`the checkpoint was trained with seed ${j.hyper.seed}`);
    if (j.dataFingerprint !== dataFingerprint)
      throw new Error("the checkpoint was trained on different tunes (train/validation split differs)");
  }

  const shapes = weightShapes(config);
  let weights: LstmWeights;
  let bestArrays: Float32Array[] | undefined;
  let carry: LstmState | undefined;
  let state: TrainState;
  const optimizer = tf.train.adam(hyper.learningRate);
  const adam = adamInternals(optimizer);

  if (checkpoint) {
    const { json, arrays } = checkpoint;
    const get = (name: string): Float32Array => {
      const a = arrays.get(name);
      if (!a) throw new Error(`checkpoint is missing tensor ${name}`);
      return a;
    };
    weights = weightsFromArrays(
      config,
      shapes.map((_, i) => get(`weight/${i}`)),
    );
    if (json.hasBest) bestArrays = shapes.map((_, i) => get(`best/${i}`));
    if (json.hasCarry)
      carry = {
        h: Array.from({ length: L }, (_, l) => get(`carry/h/${l}`)),
        c: Array.from({ length: L }, (_, l) => get(`carry/c/${l}`)),
      };
    state = json.state;
    if (json.adam.slots > 0) {
      const vars = weightVariables(weights);
      const slots: NamedTensor[] = [{ name: "iter", tensor: tf.scalar(json.adam.iterations, "int32") }];
      for (const kind of ["m", "v"])
        for (const [i, v] of vars.entries()) {
          slots.push({
            name: `${v.name}/${kind}`,
            tensor: tf.tensor(get(`adam/${kind}/${i}`), shapes[i] as number[]),
          });
        }
      await optimizer.setWeights(slots);
      tf.dispose(slots.map((s) => s.tensor));
    }
    tf.tidy(() => {
      adam.accBeta1?.assign(tf.scalar(json.adam.accBeta1));
      adam.accBeta2?.assign(tf.scalar(json.adam.accBeta2));
    });
  } else {
    if (options.initialWeights && !sameConfig(options.initialWeights.config, config)) {
      const a = options.initialWeights.config;
      if (a.vocabSize !== config.vocabSize || a.layers !== config.layers || a.units !== config.units)
        throw new Error(`initial weights are ${describe(a)}, the config asks for ${describe(config)}`);
    }
    weights = options.initialWeights
      ? weightsFromArrays(config, weightsToArrays(options.initialWeights))
      : initWeights(config, hyper.seed);
    state = {
      step: 0,
      epoch: 0,
      chunk: 0,
      phase: "train",
      learningRate: hyper.learningRate,
      bestValLoss: null,
      bestEpoch: -1,
      bestValNll: 0,
      bestValTokens: 0,
      epochsSinceBest: 0,
      epochsSinceLrChange: 0,
      dropoutRng: Rng.derive(hyper.seed, 0xd209).state(),
      history: [],
      epochNll: 0,
      epochTokens: 0,
      epochCorrect: 0,
      epochSeconds: 0,
    };
  }
  adam.learningRate = state.learningRate;
  const dropoutRng = new Rng(state.dropoutRng);

  const checkpointNow = async (): Promise<void> => {
    if (!options.checkpointDir) return;
    const vars = weightVariables(weights);
    const arrays: [string, number[], Float32Array][] = [];
    const current = weightsToArrays(weights);
    for (const [i, a] of current.entries()) arrays.push([`weight/${i}`, shapes[i] as number[], a]);
    for (const [i, a] of (bestArrays ?? []).entries()) arrays.push([`best/${i}`, shapes[i] as number[], a]);
    const slotWeights = await optimizer.getWeights();
    const slotCount = (slotWeights.length - 1) / 2;
    if (slotCount > 0 && slotCount !== vars.length) throw new Error("unexpected Adam slot layout");
    for (let i = 0; i < slotCount; i++) {
      const m = slotWeights[1 + i] as NamedTensor;
      const v = slotWeights[1 + slotCount + i] as NamedTensor;
      arrays.push([
        `adam/m/${i}`,
        shapes[i] as number[],
        Float32Array.from(m.tensor.dataSync() as Float32Array),
      ]);
      arrays.push([
        `adam/v/${i}`,
        shapes[i] as number[],
        Float32Array.from(v.tensor.dataSync() as Float32Array),
      ]);
    }
    const iterations = (slotWeights[0] as NamedTensor).tensor.dataSync()[0] as number;
    (slotWeights[0] as NamedTensor).tensor.dispose();
    if (carry) {
      for (const [l, a] of carry.h.entries()) arrays.push([`carry/h/${l}`, [B, U], a]);
      for (const [l, a] of carry.c.entries()) arrays.push([`carry/c/${l}`, [B, U], a]);
    }
    state.dropoutRng = dropoutRng.state();
    await saveCheckpoint(
      options.checkpointDir,
      {
        format: CHECKPOINT_FORMAT,
        config: { ...config },
        hyper: { ...hyper },
        dataFingerprint,
        state,
        adam: {
          iterations,
          accBeta1: (adam.accBeta1?.dataSync()[0] as number | undefined) ?? 0,
          accBeta2: (adam.accBeta2?.dataSync()[0] as number | undefined) ?? 0,
          slots: slotCount,
        },
        hasBest: bestArrays !== undefined,
        hasCarry: carry !== undefined,
      },
      arrays,
    );
  };

  const stepsPerEpochEstimate = Math.max(
    1,
    Math.ceil(train.reduce((s, t) => s + Math.max(0, t.length - 1), 0) / (B * T)),
  );
  const plannedSteps = Math.min(
    hyper.maxSteps ?? Number.POSITIVE_INFINITY,
    (hyper.maxEpochs ?? Number.POSITIVE_INFINITY) * stepsPerEpochEstimate,
  );
  let runTrainSeconds = 0;
  let runTokens = 0;
  let runSteps = 0;
  let lastValidationSeconds = 0;
  let stopReason: StopReason | undefined;
  const vars = weightVariables(weights);
  const tokensSeen = (): number => (runTrainSeconds > 0 ? runTokens / runTrainSeconds : 0);

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
        const packed = packRows(train, epochOrder(train.length, hyper.seed, state.epoch), B, T);
        while (state.chunk < packed.chunks) {
          if (hyper.maxSteps !== undefined && state.step >= hyper.maxSteps) {
            stopReason = "max-steps";
            break;
          }
          if (signal?.aborted) {
            stopReason = "aborted";
            break;
          }
          const t0 = performance.now();
          const batch = batchAt(packed, state.chunk, T);
          const result = lstmGradients(weights, batch, state.chunk === 0 ? undefined : carry, { dropoutRng });
          carry = result.state;
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
          runTrainSeconds += seconds;
          runTokens += result.tokens;
          runSteps++;
          const secondsPerStep = runTrainSeconds / runSteps;
          const remainingSteps = Math.max(0, plannedSteps - state.step);
          const remainingEpochs = Math.max(0, Math.ceil(remainingSteps / stepsPerEpochEstimate));
          options.onProgress?.({
            step: state.step,
            epoch: state.epoch,
            stepInEpoch: state.chunk,
            stepsInEpoch: packed.chunks,
            trainLoss: state.epochTokens > 0 ? state.epochNll / state.epochTokens : 0,
            trainAccuracy: state.epochTokens > 0 ? (state.epochCorrect ?? 0) / state.epochTokens : 0,
            tokensPerSecond: tokensSeen(),
            etaSeconds: Number.isFinite(remainingSteps)
              ? remainingSteps * secondsPerStep + remainingEpochs * lastValidationSeconds
              : Number.POSITIVE_INFINITY,
            learningRate: state.learningRate,
          });
          if (options.checkpointEverySteps && state.step % options.checkpointEverySteps === 0)
            await checkpointNow();
          await yieldToEventLoop();
        }
        if (stopReason) break;
        state.phase = "validate";
      }
      // Validation at the epoch end.
      const v0 = performance.now();
      let val: { nll: number; tokens: number; correct: number };
      try {
        val = await evaluateTunes(weights, validation, {
          batchSize: B,
          seqLen: T,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (error instanceof AbortError) {
          stopReason = "aborted";
          break;
        }
        throw error;
      }
      lastValidationSeconds = (performance.now() - v0) / 1000;
      const valLoss = val.tokens > 0 ? val.nll / val.tokens : Number.NaN;
      const improved =
        state.bestValLoss === null || valLoss < state.bestValLoss - (hyper.minImprovement ?? 0);
      const record: EpochRecord = {
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
        seconds: state.epochSeconds + lastValidationSeconds,
        improved,
      };
      state.history.push(record);
      if (improved) {
        state.bestValLoss = valLoss;
        state.bestEpoch = state.epoch;
        state.bestValNll = val.nll;
        state.bestValTokens = val.tokens;
        state.epochsSinceBest = 0;
        state.epochsSinceLrChange = 0;
        bestArrays = weightsToArrays(weights);
      } else {
        state.epochsSinceBest++;
        state.epochsSinceLrChange++;
        if (state.epochsSinceLrChange >= hyper.lrPatience && hyper.lrDecayFactor < 1) {
          state.learningRate = Math.max(hyper.minLearningRate ?? 0, state.learningRate * hyper.lrDecayFactor);
          adam.learningRate = state.learningRate;
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
      carry = undefined;
      if (state.epochsSinceBest >= hyper.patience) stopReason = "early-stop";
      else if (hyper.maxEpochs !== undefined && state.epoch >= hyper.maxEpochs) stopReason = "max-epochs";
      await checkpointNow();
      options.onEpoch?.(record);
    }
    if (stopReason === "aborted" || stopReason === "max-steps") await checkpointNow();
    const finalReason: StopReason = stopReason ?? "max-epochs";
    const bestWeights = bestArrays ? weightsFromArrays(config, bestArrays) : cloneWeights(weights);
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
      stopReason: finalReason,
      step: state.step,
      epoch: state.epoch,
      learningRate: state.learningRate,
      resumed: checkpoint !== undefined,
    };
  } finally {
    optimizer.dispose();
    disposeWeights(weights);
  }
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
