import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { tf } from "./backend.js";
import {
  cloneWeights,
  describe,
  disposeWeights,
  initWeights,
  type LstmConfig,
  type LstmState,
  type LstmWeights,
  lstmGradients,
  lstmLoss,
  PAD_ID,
  Rng,
  type TokenBatch,
  validateConfig,
  weightShapes,
  weightsFromArrays,
  weightsToArrays,
  weightVariables,
} from "./lstm.js";

/**
 * Training loop for the LSTM of lstm.ts: hand-written BPTT, Adam, global-norm clipping,
 * learning-rate decay on a validation plateau, early stopping, exact checkpoint/resume.
 *
 * Batching ("packed streams"): each epoch the training tunes are shuffled and dealt to
 * `batchSize` rows, each tune to the currently shortest row, so every row is one long
 * stream of whole tunes. A batch is the next `seqLen` positions of every row; the LSTM
 * state is carried from one batch to the next in the same row (truncated BPTT), and
 * zeroed at the first position of every tune (and the gradient stops there), so each
 * tune is processed exactly as if it had started from a zero state on its own. Inputs
 * are a tune's tokens but the last, targets its tokens but the first; only the epoch's
 * final batches carry `<pad>` (masked) where rows run out. Compared with one tune per row
 * padded to a multiple of seqLen (median tune 149 tokens → ~40% padding at seqLen 128),
 * this wastes almost nothing, with identical per-tune semantics.
 */

export interface TrainHyperparameters {
  /** Steps per truncated-BPTT window (e.g. 128 or 256). */
  readonly seqLen: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Global-norm gradient clipping; 0 or Infinity disables it. */
  readonly clipNorm: number;
  /** At least one of maxEpochs and maxSteps is required. */
  readonly maxEpochs?: number;
  /** Global step budget (counted across resumes). */
  readonly maxSteps?: number;
  /** Stop after this many epochs without a validation improvement. */
  readonly patience: number;
  readonly seed: number;
  /** Learning rate × this after `lrPatience` epochs without improvement. */
  readonly lrDecayFactor: number;
  readonly lrPatience: number;
  readonly minLearningRate?: number;
  /** An epoch improves only if its validation loss is below the best by more than this (nats; default 0). */
  readonly minImprovement?: number;
}

export interface TrainProgress {
  readonly step: number;
  /** 0-based epoch being trained. */
  readonly epoch: number;
  readonly stepInEpoch: number;
  readonly stepsInEpoch: number;
  /** Mean NLL per target token (nats) over the epoch so far. */
  readonly trainLoss: number;
  /** Target tokens per second of training (validation time excluded). */
  readonly tokensPerSecond: number;
  /** Estimated seconds to the planned end (maxSteps / maxEpochs; early stopping may end sooner). */
  readonly etaSeconds: number;
  readonly learningRate: number;
}

export interface EpochRecord {
  readonly epoch: number;
  /** Global step count at the end of the epoch. */
  readonly step: number;
  /** Mean training NLL per target token (nats). */
  readonly trainLoss: number;
  /** Mean validation NLL per target token (nats). */
  readonly valLoss: number;
  /** Total validation NLL (nats) and target count: bits/token = valNll / valTokens / ln 2. */
  readonly valNll: number;
  readonly valTokens: number;
  readonly trainTokens: number;
  /** Learning rate used during the epoch. */
  readonly learningRate: number;
  /** Wall time of the epoch, training and validation. */
  readonly seconds: number;
  readonly improved: boolean;
}

export type StopReason = "max-epochs" | "max-steps" | "early-stop" | "aborted";

export interface TrainResult {
  readonly history: readonly EpochRecord[];
  /** Weights with the lowest validation loss (the current ones if no epoch completed). Caller disposes. */
  readonly bestWeights: LstmWeights;
  readonly best?: {
    readonly epoch: number;
    readonly valLoss: number;
    readonly valNll: number;
    readonly valTokens: number;
  };
  readonly stopReason: StopReason;
  readonly step: number;
  readonly epoch: number;
  readonly learningRate: number;
  /** True when training started from a checkpoint. */
  readonly resumed: boolean;
}

export interface TrainOptions {
  /** Encoded tunes, each `<s> … </s>`. */
  readonly train: readonly (readonly number[])[];
  readonly validation: readonly (readonly number[])[];
  readonly config: LstmConfig;
  readonly hyper: TrainHyperparameters;
  /** Start from these weights (fine-tuning); copied, not modified. */
  readonly initialWeights?: LstmWeights;
  /** Where checkpoints go (`<dir>/checkpoint/`), at every epoch end, on abort and at maxSteps. */
  readonly checkpointDir?: string;
  /** Continue from the checkpoint in checkpointDir (which must exist). */
  readonly resume?: boolean;
  /** Also checkpoint every this many steps. */
  readonly checkpointEverySteps?: number;
  readonly onProgress?: (progress: TrainProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------
// Batching

export interface PackedRows {
  readonly inputs: Int32Array[];
  readonly targets: Int32Array[];
  readonly resets: Uint8Array[];
  /** Number of seqLen windows needed to cover the longest row. */
  readonly chunks: number;
  readonly tokens: number;
}

/** Deals tunes (in the given order) to `rows` streams, each to the currently shortest. */
export function packRows(
  tunes: readonly (readonly number[])[],
  order: readonly number[],
  rows: number,
  seqLen: number,
): PackedRows {
  const lengths = new Array<number>(rows).fill(0);
  const assigned: number[][] = Array.from({ length: rows }, () => []);
  for (const index of order) {
    const tune = tunes[index] as readonly number[];
    if (tune.length < 2) continue;
    let best = 0;
    for (let r = 1; r < rows; r++) if ((lengths[r] as number) < (lengths[best] as number)) best = r;
    (assigned[best] as number[]).push(index);
    lengths[best] = (lengths[best] as number) + tune.length - 1;
  }
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  const resets: Uint8Array[] = [];
  let tokens = 0;
  for (let r = 0; r < rows; r++) {
    const n = lengths[r] as number;
    const inp = new Int32Array(n);
    const tgt = new Int32Array(n);
    const rst = new Uint8Array(n);
    let p = 0;
    for (const index of assigned[r] as number[]) {
      const tune = tunes[index] as readonly number[];
      rst[p] = 1;
      for (let i = 0; i + 1 < tune.length; i++, p++) {
        inp[p] = tune[i] as number;
        tgt[p] = tune[i + 1] as number;
      }
    }
    tokens += n;
    inputs.push(inp);
    targets.push(tgt);
    resets.push(rst);
  }
  const longest = Math.max(0, ...lengths);
  return { inputs, targets, resets, chunks: Math.ceil(longest / seqLen), tokens };
}

/** Window `chunk` of every row as a [rows, seqLen] batch; rows that ran out are `<pad>`. */
export function batchAt(packed: PackedRows, chunk: number, seqLen: number): TokenBatch {
  const B = packed.inputs.length;
  const inputs = new Int32Array(B * seqLen).fill(PAD_ID);
  const targets = new Int32Array(B * seqLen).fill(PAD_ID);
  const resets = new Uint8Array(B * seqLen);
  const start = chunk * seqLen;
  for (let b = 0; b < B; b++) {
    const inp = packed.inputs[b] as Int32Array;
    const end = Math.min(inp.length, start + seqLen);
    if (end <= start) continue;
    inputs.set(inp.subarray(start, end), b * seqLen);
    targets.set((packed.targets[b] as Int32Array).subarray(start, end), b * seqLen);
    resets.set((packed.resets[b] as Uint8Array).subarray(start, end), b * seqLen);
  }
  return { batch: B, steps: seqLen, inputs, targets, resets };
}

function epochOrder(count: number, seed: number, epoch: number): number[] {
  return Rng.derive(seed, 0x5eed, epoch).shuffle(Array.from({ length: count }, (_, i) => i));
}

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
): Promise<{ nll: number; tokens: number }> {
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
  for (let chunk = 0; chunk < packed.chunks; chunk++) {
    if (options.signal?.aborted) throw new AbortError();
    const r = lstmLoss(weights, batchAt(packed, chunk, seqLen), state);
    state = r.state;
    nll += r.nll;
    tokens += r.tokens;
    await yieldToEventLoop();
  }
  return { nll, tokens };
}

class AbortError extends Error {
  constructor() {
    super("aborted");
    this.name = "AbortError";
  }
}

// ---------------------------------------------------------------------------------------
// Checkpoints

export const CHECKPOINT_FORMAT = "tunesmith-train-checkpoint/1";
const CHECKPOINT_NAME = "checkpoint";

interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

interface TrainState {
  step: number;
  epoch: number;
  /** Next window of the current epoch. */
  chunk: number;
  phase: "train" | "validate";
  learningRate: number;
  bestValLoss: number | null;
  bestEpoch: number;
  bestValNll: number;
  bestValTokens: number;
  epochsSinceBest: number;
  epochsSinceLrChange: number;
  dropoutRng: [number, number, number, number];
  history: EpochRecord[];
  epochNll: number;
  epochTokens: number;
  epochSeconds: number;
}

interface CheckpointJson {
  format: string;
  config: LstmConfig;
  hyper: TrainHyperparameters;
  dataFingerprint: string;
  state: TrainState;
  adam: { iterations: number; accBeta1: number; accBeta2: number; slots: number };
  hasBest: boolean;
  hasCarry: boolean;
  tensors: TensorEntry[];
}

interface Checkpoint {
  json: CheckpointJson;
  arrays: Map<string, Float32Array>;
}

function fingerprint(
  train: readonly (readonly number[])[],
  validation: readonly (readonly number[])[],
): string {
  const hash = createHash("sha256");
  for (const set of [train, validation]) {
    hash.update(`${set.length};`);
    for (const tune of set) hash.update(Int32Array.from(tune));
    hash.update("|");
  }
  return hash.digest("hex").slice(0, 16);
}

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `files` into `<dir>/<name>` atomically: a temp dir, then renames. */
async function writeDirAtomic(
  dir: string,
  name: string,
  files: { name: string; data: string | Uint8Array }[],
) {
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const unique = `${process.pid}-${Date.now()}`;
  const tmp = `${target}.tmp-${unique}`;
  const old = `${target}.old-${unique}`;
  await fs.mkdir(tmp);
  for (const f of files) await writeFileSynced(path.join(tmp, f.name), f.data);
  let moved = false;
  try {
    await fs.rename(target, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.rename(tmp, target);
  if (moved) await fs.rm(old, { recursive: true, force: true });
}

async function saveCheckpoint(
  dir: string,
  json: Omit<CheckpointJson, "tensors">,
  arrays: [string, number[], Float32Array][],
) {
  let offset = 0;
  const tensors: TensorEntry[] = arrays.map(([name, shape, data]) => {
    const entry = { name, shape, offset, length: data.length };
    offset += data.length;
    return entry;
  });
  const bin = new Float32Array(offset);
  for (const [i, [, , data]] of arrays.entries()) bin.set(data, (tensors[i] as TensorEntry).offset);
  await writeDirAtomic(dir, CHECKPOINT_NAME, [
    { name: "tensors.bin", data: new Uint8Array(bin.buffer) },
    { name: "state.json", data: `${JSON.stringify({ ...json, tensors }, null, 1)}\n` },
  ]);
}

/** The checkpoint in `dir`, or the previous one left by a crash between the two renames. */
async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  let target = path.join(dir, CHECKPOINT_NAME);
  try {
    await fs.access(path.join(target, "state.json"));
  } catch {
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    const old = entries.filter((e) => e.startsWith(`${CHECKPOINT_NAME}.old-`)).sort();
    const last = old[old.length - 1];
    if (!last) return undefined;
    target = path.join(dir, last);
  }
  const json = JSON.parse(await fs.readFile(path.join(target, "state.json"), "utf8")) as CheckpointJson;
  if (json.format !== CHECKPOINT_FORMAT)
    throw new Error(`${target} is not a ${CHECKPOINT_FORMAT} checkpoint`);
  const buf = await fs.readFile(path.join(target, "tensors.bin"));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const arrays = new Map<string, Float32Array>();
  for (const t of json.tensors) arrays.set(t.name, all.slice(t.offset, t.offset + t.length));
  return { json, arrays };
}

/** An optimizer weight as Optimizer.getWeights/setWeights exchange them. */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

// ---------------------------------------------------------------------------------------
// Adam internals (tf.train.adam): its slots come from getWeights/setWeights; the bias
// correction products accBeta1/2 are read and restored directly so a resume is bit-exact
// (setWeights would recompute them with pow, which rounds differently).

interface AdamInternals {
  learningRate: number;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function adamInternals(opt: tf.AdamOptimizer): AdamInternals {
  return opt as unknown as AdamInternals;
}

// ---------------------------------------------------------------------------------------

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
      let val: { nll: number; tokens: number };
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
        valLoss,
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
