import { tf } from "./backend.js";
import {
  backLayer,
  columnSums,
  doubleCandidate,
  dropoutMask,
  type LayerOutput,
  type LayerTrace,
  matMulSync,
  runLayer,
  scaledRecurrent,
  transpose,
} from "./lstm-kernels.js";
import {
  conditionsOf,
  conditionTokens,
  type LstmConfig,
  type LstmLayerWeights,
  type LstmState,
  type LstmWeights,
  zeroState,
} from "./lstm-weights.js";
import type { Rng } from "./rng.js";

/**
 * The Tunesmith language model: `layers` stacked LSTMs over one-hot tokens, then a dense
 * layer to logits. Weights are kept in exactly the tf.layers.lstm / tf.layers.dense layout
 * (gate order i, f, c, o along the 4U axis), so they export to a standard LayersModel.
 *
 * Layer 0 reads a one-hot token, so `x·kernel` is a row of the kernel: the kernel doubles
 * as the embedding. The forward reads those rows directly; the backward computes the
 * kernel's gradient as one matmul `onehot(ids)ᵀ·dGates`, never through gather's gradient
 * (which the wasm backend cannot run).
 *
 * Execution model, measured on the wasm backend (2 cores, no GPU): matmuls are fast
 * (≈30 GFLOP/s) but every op costs 10–30 µs of dispatch, slicing copies the whole source
 * tensor, transposed matmuls are ~10× slower than plain ones, and tanh is as slow as in JS
 * while sigmoid is ~10× faster. So every matmul runs on the TensorFlow.js backend with
 * plain (non-transposed) operands; the four gate activations are one sigmoid on the
 * backend (the candidate's pre-activation is doubled so tanh(g) = 2σ(2g) − 1); the rest
 * (cell, softmax, dropout, transposes, sums) runs as tight loops over Float32Arrays.
 * Forward step: upload h and xp_t, matMul, add, sigmoid, download. Backward step: upload
 * dZ_t, matMul with Rᵀ, download. Weight gradients are single matmuls over all T·B rows
 * after the loop: dR = Hprevᵀ·dZ, dK = Xᵀ·dZ (one-hot X for layer 0), dX = dZ·Kᵀ.
 */

/** A batch of B rows of T steps, batch-major ([b·T + t]). */
export interface TokenBatch {
  readonly batch: number;
  readonly steps: number;
  readonly inputs: Int32Array;
  /** Next-token targets; `<pad>` (id 0) targets are masked out of the loss. */
  readonly targets?: Int32Array;
  /** 1 where the state is zeroed before reading this position (a tune starts here). */
  readonly resets?: Uint8Array;
}

export const PAD_ID = 0;

function toTimeMajor<A extends Int32Array | Uint8Array>(
  src: A,
  B: number,
  T: number,
  make: (n: number) => A,
): A {
  const out = make(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[t * B + b] = src[b * T + t] as number;
  return out;
}

function checkBatch(config: LstmConfig, batch: TokenBatch, state: LstmState | undefined): void {
  const n = batch.batch * batch.steps;
  if (batch.inputs.length !== n) throw new Error(`inputs have ${batch.inputs.length} ids, expected ${n}`);
  if (batch.targets && batch.targets.length !== n)
    throw new Error(`targets have ${batch.targets.length} ids, expected ${n}`);
  if (batch.resets && batch.resets.length !== n)
    throw new Error(`resets have ${batch.resets.length} flags, expected ${n}`);
  for (const ids of [batch.inputs, batch.targets ?? new Int32Array(0)])
    for (const id of ids)
      if (!(id >= 0 && id < config.vocabSize))
        throw new Error(`token id ${id} is outside 0..${config.vocabSize - 1}`);
  if (state) {
    const size = batch.batch * config.units;
    const ok =
      state.h.length === config.layers &&
      state.c.length === config.layers &&
      [...state.h, ...state.c].every((a) => a.length === size) &&
      (state.condition === undefined || state.condition.length === batch.batch);
    if (!ok)
      throw new Error(
        `state does not match ${config.layers} layers × batch ${batch.batch} × ${config.units}`,
      );
  }
}

interface ForwardTrace {
  readonly B: number;
  readonly T: number;
  readonly ids: Int32Array;
  /** Per position, the condition token added to the input (−1: none). */
  readonly conditions: Int32Array;
  readonly resets: Uint8Array | undefined;
  readonly layers: LayerOutput[];
  /** Per layer, the dropout mask applied to its output (training only). */
  readonly masks: (Float32Array | undefined)[];
  /** [T·B, U] input of the dense layer (top output after dropout). */
  readonly top: Float32Array;
  /** [T·B, V] logits, time-major. */
  readonly logits: Float32Array;
  readonly state: LstmState;
}

export interface ForwardOptions {
  /** Training mode: apply dropout with masks drawn from this generator. */
  readonly dropoutRng?: Rng;
  /** Explicit per-layer masks [B·T·U] in time-major order (tests); overrides dropoutRng. */
  readonly dropoutMasks?: readonly Float32Array[];
}

function forwardTrace(
  weights: LstmWeights,
  batch: TokenBatch,
  initial: LstmState | undefined,
  keepTrace: boolean,
  options: ForwardOptions,
): ForwardTrace {
  const { config } = weights;
  checkBatch(config, batch, initial);
  const { vocabSize: V, units: U, layers: L } = config;
  const G = 4 * U;
  const B = batch.batch;
  const T = batch.steps;
  const TB = T * B;
  const ids = toTimeMajor(batch.inputs, B, T, (n) => new Int32Array(n));
  const resets = batch.resets ? toTimeMajor(batch.resets, B, T, (n) => new Uint8Array(n)) : undefined;
  const state = initial ?? zeroState(config, B);
  const { conditions, last } = conditionsOf(conditionTokens(config), ids, B, resets, initial?.condition);
  const layerOuts: LayerOutput[] = [];
  const masks: (Float32Array | undefined)[] = [];
  let input: Float32Array = new Float32Array(0);
  for (let l = 0; l < L; l++) {
    const w = weights.layers[l] as LstmLayerWeights;
    const bias = w.bias.dataSync() as Float32Array;
    let xp: Float32Array;
    if (l === 0) {
      // Row gathers of (kernel + bias): the one-hot input selects one kernel row.
      const kernel = w.kernel.dataSync() as Float32Array;
      const table = new Float32Array(V * G);
      for (let v = 0; v < V; v++) {
        for (let j = 0; j < G; j++) table[v * G + j] = (kernel[v * G + j] as number) + (bias[j] as number);
      }
      doubleCandidate(table, V, U);
      // The condition rows: the kernel alone (the bias is in `table` already).
      const rows = config.conditionIds?.length ? new Float32Array(kernel) : new Float32Array(0);
      doubleCandidate(rows, rows.length / G, U);
      xp = new Float32Array(TB * G);
      for (let r = 0; r < TB; r++) {
        const src = (ids[r] as number) * G;
        xp.set(table.subarray(src, src + G), r * G);
        // Two-hot input: the condition's kernel row too (see LstmConfig.conditionIds).
        const condition = conditions[r] as number;
        if (condition < 0) continue;
        for (let j = 0; j < G; j++)
          xp[r * G + j] = (xp[r * G + j] as number) + (rows[condition * G + j] as number);
      }
    } else {
      xp = matMulSync(input, TB, U, w.kernel as tf.Tensor2D);
      const scale = new Float32Array(G).fill(1).fill(2, 2 * U, 3 * U);
      for (let r = 0; r < TB; r++) {
        const dst = r * G;
        for (let j = 0; j < G; j++)
          xp[dst + j] = ((xp[dst + j] as number) + (bias[j] as number)) * (scale[j] as number);
      }
    }
    const recurrentScaled = scaledRecurrent(w.recurrentKernel as tf.Tensor2D, U);
    let out: LayerOutput;
    try {
      out = runLayer(
        B,
        T,
        U,
        xp,
        recurrentScaled,
        state.h[l] as Float32Array,
        state.c[l] as Float32Array,
        resets,
        keepTrace,
      );
    } finally {
      recurrentScaled.dispose();
    }
    layerOuts.push(out);
    let mask: Float32Array | undefined;
    if (options.dropoutMasks) mask = options.dropoutMasks[l];
    else if (options.dropoutRng && config.dropout > 0)
      mask = dropoutMask(options.dropoutRng, TB * U, config.dropout);
    masks.push(mask);
    if (mask) {
      input = new Float32Array(TB * U);
      for (let i = 0; i < input.length; i++) input[i] = (out.h[i] as number) * (mask[i] as number);
    } else {
      input = out.h;
    }
  }
  const logits = matMulSync(input, TB, U, weights.outKernel as tf.Tensor2D);
  const outBias = weights.outBias.dataSync() as Float32Array;
  for (let r = 0; r < TB; r++) {
    const o = r * V;
    for (let v = 0; v < V; v++) logits[o + v] = (logits[o + v] as number) + (outBias[v] as number);
  }
  return {
    B,
    T,
    ids,
    conditions,
    resets,
    layers: layerOuts,
    masks,
    top: input,
    logits,
    state: {
      h: layerOuts.map((o) => o.lastH),
      c: layerOuts.map((o) => o.lastC),
      ...(config.conditionIds?.length ? { condition: last } : {}),
    },
  };
}

export interface ForwardResult {
  /** [B, T, V] batch-major logits. */
  readonly logits: Float32Array;
  readonly state: LstmState;
}

/** Inference forward over a batch (no dropout). */
export function lstmForward(weights: LstmWeights, batch: TokenBatch, initial?: LstmState): ForwardResult {
  const tr = forwardTrace(weights, batch, initial, false, {});
  const { B, T } = tr;
  const V = weights.config.vocabSize;
  const logits = new Float32Array(B * T * V);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++)
      logits.set(tr.logits.subarray((t * B + b) * V, (t * B + b + 1) * V), (b * T + t) * V);
  return { logits, state: tr.state };
}

interface NllResult {
  nll: number;
  tokens: number;
  /** Targets the model ranked first (next-token accuracy = correct / tokens). */
  correct: number;
}

/** Sum of NLL over non-pad targets; fills dLogits (time-major) with d(mean NLL)/dlogits. */
function nllAndGrad(
  logits: Float32Array,
  targetsTM: Int32Array,
  V: number,
  dLogits: Float32Array | undefined,
): NllResult {
  const rows = targetsTM.length;
  let tokens = 0;
  for (let r = 0; r < rows; r++) if (targetsTM[r] !== PAD_ID) tokens++;
  let nll = 0;
  let correct = 0;
  const scale = tokens > 0 ? 1 / tokens : 0;
  const exps = new Float64Array(V);
  for (let r = 0; r < rows; r++) {
    const y = targetsTM[r] as number;
    if (y === PAD_ID) continue;
    const o = r * V;
    let max = -Infinity;
    let argmax = 0;
    for (let v = 0; v < V; v++)
      if ((logits[o + v] as number) > max) {
        max = logits[o + v] as number;
        argmax = v;
      }
    if (argmax === y) correct++;
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp((logits[o + v] as number) - max);
      exps[v] = e;
      sum += e;
    }
    nll += max + Math.log(sum) - (logits[o + y] as number);
    if (dLogits) {
      const k = scale / sum;
      for (let v = 0; v < V; v++) dLogits[o + v] = (exps[v] as number) * k;
      dLogits[o + y] = (dLogits[o + y] as number) - scale;
    }
  }
  return { nll, tokens, correct };
}

export interface LossResult {
  /** Total NLL in nats over the counted targets. */
  readonly nll: number;
  /** Number of non-pad targets. */
  readonly tokens: number;
  /** Targets the model ranked first. */
  readonly correct: number;
  readonly state: LstmState;
}

/** Loss only (evaluation): no dropout, nothing kept for a backward pass. */
export function lstmLoss(weights: LstmWeights, batch: TokenBatch, initial?: LstmState): LossResult {
  if (!batch.targets) throw new Error("lstmLoss needs targets");
  const tr = forwardTrace(weights, batch, initial, false, {});
  const targets = toTimeMajor(batch.targets, tr.B, tr.T, (n) => new Int32Array(n));
  const { nll, tokens, correct } = nllAndGrad(tr.logits, targets, weights.config.vocabSize, undefined);
  return { nll, tokens, correct, state: tr.state };
}

/** Gradients in weightVariables order (owned by the caller: dispose them). */
export interface GradientResult extends LossResult {
  /** Mean NLL per counted target (the loss that was differentiated). */
  readonly loss: number;
  readonly grads: tf.Tensor[];
}

/**
 * Forward + hand-written backward through time of the masked mean cross-entropy.
 * Gradients do not flow into the initial state (truncated BPTT) nor across resets.
 */
export function lstmGradients(
  weights: LstmWeights,
  batch: TokenBatch,
  initial?: LstmState,
  options: ForwardOptions = {},
): GradientResult {
  if (!batch.targets) throw new Error("lstmGradients needs targets");
  const { config } = weights;
  const { vocabSize: V, units: U, layers: L } = config;
  const G = 4 * U;
  const tr = forwardTrace(weights, batch, initial, true, options);
  const { B, T } = tr;
  const TB = T * B;
  const targets = toTimeMajor(batch.targets, B, T, (n) => new Int32Array(n));
  const dLogits = new Float32Array(TB * V);
  const { nll, tokens, correct } = nllAndGrad(tr.logits, targets, V, dLogits);

  const grads: tf.Tensor[] = new Array(3 * L + 2);
  // Dense layer.
  const outKernelT = tf.transpose(weights.outKernel) as tf.Tensor2D;
  const topT = transpose(tr.top, TB, U);
  grads[3 * L] = tf.tidy(() => tf.matMul(tf.tensor2d(topT, [U, TB]), tf.tensor2d(dLogits, [TB, V])));
  grads[3 * L + 1] = tf.tensor1d(columnSums(dLogits, TB, V));
  let dH: Float32Array = matMulSync(dLogits, TB, V, outKernelT);
  outKernelT.dispose();
  for (let l = L - 1; l >= 0; l--) {
    const w = weights.layers[l] as LstmLayerWeights;
    const out = tr.layers[l] as LayerOutput;
    const trace = out.trace as LayerTrace;
    const mask = tr.masks[l];
    if (mask) for (let i = 0; i < dH.length; i++) dH[i] = (dH[i] as number) * (mask[i] as number);
    const recT = tf.transpose(w.recurrentKernel) as tf.Tensor2D;
    const { dZ, dBias } = backLayer(B, T, U, trace, dH, recT, tr.resets);
    recT.dispose();
    const dZt = tf.tensor2d(dZ, [TB, G]);
    grads[3 * l + 1] = tf.tidy(() => tf.matMul(tf.tensor2d(trace.hPrevT, [U, TB]), dZt));
    grads[3 * l + 2] = tf.tensor1d(dBias);
    if (l === 0) {
      const onehotT = new Float32Array(V * TB);
      for (let r = 0; r < TB; r++) {
        onehotT[(tr.ids[r] as number) * TB + r] = 1;
        const condition = tr.conditions[r] as number;
        if (condition >= 0) onehotT[condition * TB + r] = (onehotT[condition * TB + r] as number) + 1;
      }
      grads[0] = tf.tidy(() => tf.matMul(tf.tensor2d(onehotT, [V, TB]), dZt));
    } else {
      const below = tr.layers[l - 1] as LayerOutput;
      const maskBelow = tr.masks[l - 1];
      let x = below.h;
      if (maskBelow) {
        x = new Float32Array(TB * U);
        for (let i = 0; i < x.length; i++) x[i] = (below.h[i] as number) * (maskBelow[i] as number);
      }
      grads[3 * l] = tf.tidy(() => tf.matMul(tf.tensor2d(transpose(x, TB, U), [U, TB]), dZt));
      const kernelT = tf.transpose(w.kernel) as tf.Tensor2D;
      const dX = tf.matMul(dZt, kernelT);
      dH = dX.dataSync() as Float32Array;
      tf.dispose([dX, kernelT]);
    }
    dZt.dispose();
  }
  return { loss: tokens > 0 ? nll / tokens : 0, nll, tokens, correct, state: tr.state, grads };
}
