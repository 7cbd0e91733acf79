import { tf } from "./backend.js";

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

export interface LstmConfig {
  readonly vocabSize: number;
  readonly layers: number;
  readonly units: number;
  /** Inverted dropout on the output of every LSTM layer, training only; 0 disables it. */
  readonly dropout: number;
}

export interface LstmLayerWeights {
  /** [inputDim, 4U]; inputDim = vocabSize for layer 0, units above. */
  readonly kernel: tf.Variable;
  /** [U, 4U] */
  readonly recurrentKernel: tf.Variable;
  /** [4U] */
  readonly bias: tf.Variable;
}

export interface LstmWeights {
  readonly config: LstmConfig;
  readonly layers: readonly LstmLayerWeights[];
  /** [U, V] */
  readonly outKernel: tf.Variable;
  /** [V] */
  readonly outBias: tf.Variable;
}

/** Per layer, `h` and `c` as [B·U] row-major arrays. */
export interface LstmState {
  readonly h: readonly Float32Array[];
  readonly c: readonly Float32Array[];
}

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

// ---------------------------------------------------------------------------------------
// Seeded PRNG

/** sfc32, seeded through splitmix32; deterministic, with a saveable 4-word state. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | readonly number[]) {
    if (typeof seed === "number") {
      let s = seed >>> 0;
      const next = (): number => {
        s = (s + 0x9e3779b9) >>> 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.a = next();
      this.b = next();
      this.c = next();
      this.d = 1;
      for (let i = 0; i < 12; i++) this.uint32();
    } else {
      if (seed.length !== 4) throw new Error("Rng state must have 4 words");
      [this.a, this.b, this.c, this.d] = seed.map((x) => x >>> 0) as [number, number, number, number];
    }
  }

  /** A generator for a named sub-stream, independent of this one's position. */
  static derive(seed: number, ...stream: number[]): Rng {
    let h = seed >>> 0;
    for (const s of stream) h = (Math.imul(h ^ (s >>> 0), 0x9e3779b1) + 0x7f4a7c15) >>> 0;
    return new Rng(h);
  }

  state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Fills `out` with the next out.length uint32 values (same stream as uint32()). */
  fill(out: Uint32Array): Uint32Array {
    let { a, b, c, d } = this;
    for (let i = 0; i < out.length; i++) {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      out[i] = t;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

// ---------------------------------------------------------------------------------------
// Weights

let instances = 0;

/** Variable names are unique per weights instance (the engine registers them globally). */
function namer(): (suffix: string) => string {
  const prefix = `tunesmith_lstm_${++instances}`;
  return (suffix) => `${prefix}/${suffix}`;
}

export function validateConfig(config: LstmConfig): void {
  const { vocabSize, layers, units, dropout } = config;
  const ok =
    Number.isInteger(vocabSize) &&
    vocabSize >= 2 &&
    Number.isInteger(layers) &&
    layers >= 1 &&
    Number.isInteger(units) &&
    units >= 1 &&
    dropout >= 0 &&
    dropout < 1;
  if (!ok) throw new Error(`invalid LSTM config ${JSON.stringify(config)}`);
}

/** Ordered list of the weight variables: per layer kernel, recurrentKernel, bias; then out. */
export function weightVariables(weights: LstmWeights): tf.Variable[] {
  return [
    ...weights.layers.flatMap((l) => [l.kernel, l.recurrentKernel, l.bias]),
    weights.outKernel,
    weights.outBias,
  ];
}

/** Stable names (independent of the variable names) in the order of weightVariables. */
export function weightKeys(config: LstmConfig): string[] {
  const keys: string[] = [];
  for (let l = 0; l < config.layers; l++)
    keys.push(`lstm_${l}/kernel`, `lstm_${l}/recurrent_kernel`, `lstm_${l}/bias`);
  keys.push("dense/kernel", "dense/bias");
  return keys;
}

export function weightShapes(config: LstmConfig): number[][] {
  const { vocabSize: V, units: U } = config;
  const shapes: number[][] = [];
  for (let l = 0; l < config.layers; l++) shapes.push([l === 0 ? V : U, 4 * U], [U, 4 * U], [4 * U]);
  shapes.push([U, V], [V]);
  return shapes;
}

/** Builds new variables from arrays in weightVariables order (copied). */
export function weightsFromArrays(config: LstmConfig, arrays: readonly Float32Array[]): LstmWeights {
  validateConfig(config);
  const shapes = weightShapes(config);
  if (arrays.length !== shapes.length)
    throw new Error(`expected ${shapes.length} weight arrays for ${describe(config)}, got ${arrays.length}`);
  const name = namer();
  const keys = weightKeys(config);
  const vars = shapes.map((shape, i) => {
    const data = arrays[i] as Float32Array;
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(
        `weight ${keys[i]} should have ${size} values (shape ${shape.join("×")}), got ${data.length}`,
      );
    return tf.tidy(() =>
      tf.variable(tf.tensor(Float32Array.from(data), shape), true, name(keys[i] as string)),
    );
  });
  const layers: LstmLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      kernel: vars[3 * l] as tf.Variable,
      recurrentKernel: vars[3 * l + 1] as tf.Variable,
      bias: vars[3 * l + 2] as tf.Variable,
    });
  }
  return {
    config: { ...config },
    layers,
    outKernel: vars[3 * config.layers] as tf.Variable,
    outBias: vars[3 * config.layers + 1] as tf.Variable,
  };
}

/** Copies of the current values, in weightVariables order. */
export function weightsToArrays(weights: LstmWeights): Float32Array[] {
  return weightVariables(weights).map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

export function cloneWeights(weights: LstmWeights): LstmWeights {
  return weightsFromArrays(weights.config, weightsToArrays(weights));
}

export function disposeWeights(weights: LstmWeights): void {
  for (const v of weightVariables(weights)) v.dispose();
}

export function describe(config: LstmConfig): string {
  return `${config.layers}×LSTM(${config.units}) over ${config.vocabSize} tokens`;
}

export function parameterCount(config: LstmConfig): number {
  return weightShapes(config).reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
}

function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** A random U×U orthogonal matrix (modified Gram–Schmidt on Gaussian rows). */
function orthogonal(rng: Rng, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (q[ri + k] as number) * (q[rj + k] as number);
      for (let k = 0; k < n; k++) q[ri + k] = (q[ri + k] as number) - dot * (q[rj + k] as number);
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += (q[ri + k] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < n; k++) q[ri + k] = (q[ri + k] as number) / norm;
  }
  return q;
}

/**
 * Deterministic initial weights: Glorot-uniform kernels (as Keras), an orthogonal U×U
 * block per gate for the recurrent kernel, zero biases except 1 for the forget gate
 * (unit forget bias), Glorot-uniform dense kernel and zero dense bias.
 */
export function initWeights(config: LstmConfig, seed: number): LstmWeights {
  validateConfig(config);
  const { vocabSize: V, units: U } = config;
  const G = 4 * U;
  const rng = Rng.derive(seed, 0x1417);
  const arrays: Float32Array[] = [];
  for (let l = 0; l < config.layers; l++) {
    const inputDim = l === 0 ? V : U;
    arrays.push(glorotUniform(rng, inputDim, G));
    const rec = new Float32Array(U * G);
    for (let gate = 0; gate < 4; gate++) {
      const q = orthogonal(rng, U);
      for (let r = 0; r < U; r++)
        for (let c = 0; c < U; c++) rec[r * G + gate * U + c] = q[r * U + c] as number;
    }
    arrays.push(rec);
    const bias = new Float32Array(G);
    bias.fill(1, U, 2 * U);
    arrays.push(bias);
  }
  arrays.push(glorotUniform(rng, U, V), new Float32Array(V));
  return weightsFromArrays(config, arrays);
}

export function zeroState(config: LstmConfig, batch: number): LstmState {
  const n = batch * config.units;
  return {
    h: Array.from({ length: config.layers }, () => new Float32Array(n)),
    c: Array.from({ length: config.layers }, () => new Float32Array(n)),
  };
}

// ---------------------------------------------------------------------------------------
// Kernels

/** a[rows×cols] · w → Float32Array, one upload + one matmul + one download. */
function matMulSync(a: Float32Array, rows: number, cols: number, w: tf.Tensor2D): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, cols]), w));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const BLOCK = 32;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c] as number;
      }
    }
  }
  return out;
}

function columnSums(src: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[base + c] as number);
  }
  return Float32Array.from(acc);
}

interface LayerTrace {
  /** [T·B, 4U] activations i, f, g, o. */
  readonly gates: Float32Array;
  /** [T·B, U] c entering each step (after resets). */
  readonly cPrev: Float32Array;
  /** [T·B, U] tanh(c_t). */
  readonly tanhC: Float32Array;
  /** [U, T·B] h entering each step (after resets), transposed for dR = Hprevᵀ·dZ. */
  readonly hPrevT: Float32Array;
}

interface LayerOutput {
  /** [T·B, U] outputs h_t, time-major. */
  readonly h: Float32Array;
  readonly lastH: Float32Array;
  readonly lastC: Float32Array;
  readonly trace?: LayerTrace;
}

/** tanh through one exp (faster than Math.tanh in V8 here), overflow-safe. */
export function tanh(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  const r = (1 - e) / (1 + e);
  return x < 0 ? -r : r;
}

/**
 * The cell after the gate activations: `s` holds [B, 4U] = σ(i), σ(f), σ(2·g), σ(o) (the
 * candidate's pre-activation doubled, so tanh(g) = 2σ(2g) − 1 comes out of the same
 * sigmoid). Writes c and h; when `gates` is given, saves i, f, tanh(g), o and tanh(c).
 */
function cellFromSigmoids(
  B: number,
  U: number,
  s: Float32Array,
  cPrev: Float32Array,
  hOut: Float32Array,
  cOut: Float32Array,
  gates: Float32Array | undefined,
  tanhC: Float32Array | undefined,
  saveRow: number,
): void {
  const G = 4 * U;
  if (gates) gates.set(s, saveRow * G);
  for (let b = 0; b < B; b++) {
    const so = b * G;
    const co = b * U;
    const go = (saveRow + b) * G + 2 * U;
    const to = (saveRow + b) * U;
    for (let u = 0; u < U; u++) {
      const i = s[so + u] as number;
      const f = s[so + U + u] as number;
      const g = 2 * (s[so + 2 * U + u] as number) - 1;
      const o = s[so + 3 * U + u] as number;
      const c = f * (cPrev[co + u] as number) + i * g;
      const tc = tanh(c);
      cOut[co + u] = c;
      hOut[co + u] = o * tc;
      if (gates && tanhC) {
        gates[go + u] = g;
        tanhC[to + u] = tc;
      }
    }
  }
}

/** Multiplies the candidate (g) block of each 4U row by 2, in place. */
function doubleCandidate(a: Float32Array, rows: number, U: number): void {
  const G = 4 * U;
  for (let r = 0; r < rows; r++) {
    const o = r * G + 2 * U;
    for (let u = 0; u < U; u++) a[o + u] = 2 * (a[o + u] as number);
  }
}

/** The recurrent kernel with its candidate block doubled (see cellFromSigmoids). */
function scaledRecurrent(recurrent: tf.Tensor2D, U: number): tf.Tensor2D {
  return tf.tidy(() => {
    const scale = new Float32Array(4 * U).fill(1).fill(2, 2 * U, 3 * U);
    return tf.mul(recurrent, tf.tensor1d(scale)) as tf.Tensor2D;
  });
}

/**
 * One layer over T steps. `xp` is the input projection plus bias, time-major [T·B, 4U],
 * with the candidate block already doubled; `recurrentScaled` likewise. Per step: one
 * upload of h, one of xp_t, matmul, add, sigmoid, one download; the rest in JS.
 */
function runLayer(
  B: number,
  T: number,
  U: number,
  xp: Float32Array,
  recurrentScaled: tf.Tensor2D,
  h0: Float32Array,
  c0: Float32Array,
  resets: Uint8Array | undefined,
  keepTrace: boolean,
): LayerOutput {
  const G = 4 * U;
  const TB = T * B;
  const out = new Float32Array(TB * U);
  const gates = keepTrace ? new Float32Array(TB * G) : undefined;
  const tanhC = keepTrace ? new Float32Array(TB * U) : undefined;
  const cPrevAll = keepTrace ? new Float32Array(TB * U) : undefined;
  const hPrev = keepTrace ? new Float32Array(TB * U) : undefined;
  let h = Float32Array.from(h0);
  let c = Float32Array.from(c0);
  let hZero = !h.some((x) => x !== 0);
  for (let t = 0; t < T; t++) {
    if (resets) {
      let any = false;
      for (let b = 0; b < B; b++) {
        if (resets[t * B + b]) {
          h.fill(0, b * U, (b + 1) * U);
          c.fill(0, b * U, (b + 1) * U);
          any = true;
        }
      }
      if (any && !hZero) hZero = !h.some((x) => x !== 0);
    }
    if (hPrev && cPrevAll) {
      cPrevAll.set(c, t * B * U);
      hPrev.set(h, t * B * U);
    }
    const xpt = xp.subarray(t * B * G, (t + 1) * B * G);
    const sT = tf.tidy(() => {
      const x = tf.tensor2d(xpt, [B, G]);
      return tf.sigmoid(hZero ? x : tf.add(tf.matMul(tf.tensor2d(h, [B, U]), recurrentScaled), x));
    });
    const s = sT.dataSync() as Float32Array;
    sT.dispose();
    const hNew = out.subarray(t * B * U, (t + 1) * B * U);
    const cNew = new Float32Array(B * U);
    cellFromSigmoids(B, U, s, c, hNew, cNew, gates, tanhC, t * B);
    h = Float32Array.from(hNew);
    c = cNew;
    hZero = false;
  }
  const trace: LayerTrace | undefined =
    gates && tanhC && cPrevAll && hPrev
      ? { gates, tanhC, cPrev: cPrevAll, hPrevT: transpose(hPrev, TB, U) }
      : undefined;
  return { h: out, lastH: h, lastC: c, ...(trace ? { trace } : {}) };
}

/** Backward through time for one layer: dH [T·B, U] (w.r.t. outputs) → dZ [T·B, 4U]. */
function backLayer(
  B: number,
  T: number,
  U: number,
  trace: LayerTrace,
  dH: Float32Array,
  recurrentT: tf.Tensor2D,
  resets: Uint8Array | undefined,
): { dZ: Float32Array; dBias: Float32Array } {
  const G = 4 * U;
  const { gates, cPrev, tanhC } = trace;
  const dZ = new Float32Array(T * B * G);
  const dBias = new Float64Array(G);
  let dhRec: Float32Array = new Float32Array(B * U);
  const dcCarry = new Float32Array(B * U);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      const go = r * G;
      const ro = r * U;
      const so = b * U;
      for (let u = 0; u < U; u++) {
        const dh = (dH[ro + u] as number) + (dhRec[so + u] as number);
        const i = gates[go + u] as number;
        const f = gates[go + U + u] as number;
        const g = gates[go + 2 * U + u] as number;
        const o = gates[go + 3 * U + u] as number;
        const tc = tanhC[ro + u] as number;
        const dc = (dcCarry[so + u] as number) + dh * o * (1 - tc * tc);
        const dzi = dc * g * i * (1 - i);
        const dzf = dc * (cPrev[ro + u] as number) * f * (1 - f);
        const dzg = dc * i * (1 - g * g);
        const dzo = dh * tc * o * (1 - o);
        dZ[go + u] = dzi;
        dZ[go + U + u] = dzf;
        dZ[go + 2 * U + u] = dzg;
        dZ[go + 3 * U + u] = dzo;
        dBias[u] = (dBias[u] as number) + dzi;
        dBias[U + u] = (dBias[U + u] as number) + dzf;
        dBias[2 * U + u] = (dBias[2 * U + u] as number) + dzg;
        dBias[3 * U + u] = (dBias[3 * U + u] as number) + dzo;
        dcCarry[so + u] = dc * f;
      }
    }
    if (t === 0) break;
    dhRec = matMulSync(dZ.subarray(t * B * G, (t + 1) * B * G), B, G, recurrentT);
    if (resets) {
      for (let b = 0; b < B; b++) {
        if (resets[t * B + b]) {
          dhRec.fill(0, b * U, (b + 1) * U);
          dcCarry.fill(0, b * U, (b + 1) * U);
        }
      }
    }
  }
  return { dZ, dBias: Float32Array.from(dBias) };
}

/** Inverted-dropout mask: 0 with probability `rate` (to 1/65536), else 1/(1 − rate). */
function dropoutMask(rng: Rng, size: number, rate: number): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = Math.round(rate * 65536);
  const bits = rng.fill(new Uint32Array(Math.ceil(size / 2)));
  for (let i = 0; i < size; i++) {
    const r = bits[i >>> 1] as number;
    mask[i] = ((i & 1 ? r >>> 16 : r & 0xffff) as number) < threshold ? 0 : keep;
  }
  return mask;
}

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
      [...state.h, ...state.c].every((a) => a.length === size);
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
      xp = new Float32Array(TB * G);
      for (let r = 0; r < TB; r++) {
        const src = (ids[r] as number) * G;
        xp.set(table.subarray(src, src + G), r * G);
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
    resets,
    layers: layerOuts,
    masks,
    top: input,
    logits,
    state: { h: layerOuts.map((o) => o.lastH), c: layerOuts.map((o) => o.lastC) },
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
  const scale = tokens > 0 ? 1 / tokens : 0;
  const exps = new Float64Array(V);
  for (let r = 0; r < rows; r++) {
    const y = targetsTM[r] as number;
    if (y === PAD_ID) continue;
    const o = r * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if ((logits[o + v] as number) > max) max = logits[o + v] as number;
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
  return { nll, tokens };
}

export interface LossResult {
  /** Total NLL in nats over the counted targets. */
  readonly nll: number;
  /** Number of non-pad targets. */
  readonly tokens: number;
  readonly state: LstmState;
}

/** Loss only (evaluation): no dropout, nothing kept for a backward pass. */
export function lstmLoss(weights: LstmWeights, batch: TokenBatch, initial?: LstmState): LossResult {
  if (!batch.targets) throw new Error("lstmLoss needs targets");
  const tr = forwardTrace(weights, batch, initial, false, {});
  const targets = toTimeMajor(batch.targets, tr.B, tr.T, (n) => new Int32Array(n));
  const { nll, tokens } = nllAndGrad(tr.logits, targets, weights.config.vocabSize, undefined);
  return { nll, tokens, state: tr.state };
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
  const { nll, tokens } = nllAndGrad(tr.logits, targets, V, dLogits);

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
      for (let r = 0; r < TB; r++) onehotT[(tr.ids[r] as number) * TB + r] = 1;
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
  return { loss: tokens > 0 ? nll / tokens : 0, nll, tokens, state: tr.state, grads };
}
