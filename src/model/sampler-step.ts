import { tf } from "./backend.js";
import { tanh } from "./lstm-kernels.js";
import {
  conditionsOf,
  conditionTokens,
  type LstmConfig,
  type LstmWeights,
  weightsToArrays,
} from "./lstm-weights.js";

/**
 * One-token-at-a-time inference for generation: ids [B] + state → logits [B, V] + state.
 *
 * Two engines, same results (to float rounding):
 * - "tf": per layer one upload, one matmul on the TensorFlow.js backend and one download
 *   (layer 0 only multiplies h by the recurrent kernel, its input term is a kernel row;
 *   layers above multiply [x, h] by the stacked [kernel; recurrentKernel]); gates, cell
 *   and biases in JS. 2·layers + 1 backend ops per step whatever B is.
 * - "js": everything in Float32Array loops; no dispatch cost, but matvecs run at
 *   plain-JS speed.
 * Measured on wasm (bench/train.ts): "tf" is faster at every size tried (U 64…512,
 * B 1 and 8; e.g. 2×512 at B=1: ≈0.43 ms vs ≈3.9 ms per step), so "auto" means "tf";
 * "js" stays for comparison and for use without a fast backend.
 */

export type StepperEngine = "tf" | "js";

export interface StepperState {
  readonly batch: number;
  /** Per layer [B·U]. */
  readonly h: readonly Float32Array[];
  readonly c: readonly Float32Array[];
  /** Per row, the condition token its tune has read (LstmConfig.conditionIds), −1 for none. */
  readonly condition?: Int32Array;
}

export interface StepResult {
  /** [B·V] row-major logits. */
  readonly logits: Float32Array;
  /** A new state object; the state passed in is never modified (branching is safe). */
  readonly state: StepperState;
}

export interface Stepper {
  readonly config: LstmConfig;
  readonly engine: StepperEngine;
  step(ids: Int32Array, state?: StepperState): StepResult;
  /** Frees the backend tensors (tf engine). */
  dispose(): void;
}

export interface StepperOptions {
  readonly engine?: StepperEngine | "auto";
}

export function createStepper(weights: LstmWeights, options: StepperOptions = {}): Stepper {
  const { config } = weights;
  const { vocabSize: V, units: U, layers: L } = config;
  const engine: StepperEngine = options.engine === "js" ? "js" : "tf";
  const w = prepareStepWeights(weights, engine);
  const conditioning = conditionTokens(config);

  const step = (ids: Int32Array, state?: StepperState): StepResult => {
    const B = ids.length;
    if (B === 0) throw new Error("step needs at least one id");
    for (const id of ids) if (!(id >= 0 && id < V)) throw new Error(`token id ${id} is outside 0..${V - 1}`);
    if (
      state &&
      (state.batch !== B ||
        state.h.length !== L ||
        state.c.length !== L ||
        (state.condition !== undefined && state.condition.length !== B))
    )
      throw new Error(
        `state is for batch ${state.batch}, ${state.h.length} layers; got ${B} ids, ${L} layers`,
      );
    const { conditions, last } = conditionsOf(conditioning, ids, B, undefined, state?.condition);
    const hs: Float32Array[] = [];
    const cs: Float32Array[] = [];
    let x = new Float32Array(0);
    for (let l = 0; l < L; l++) {
      const hPrev = state ? (state.h[l] as Float32Array) : new Float32Array(B * U);
      const cPrev = state ? (state.c[l] as Float32Array) : new Float32Array(B * U);
      const z =
        l === 0
          ? firstLayerGates(w, U, ids, conditions, state ? hPrev : undefined)
          : upperLayerGates(w, U, l, x, state ? hPrev : undefined);
      const h = new Float32Array(B * U);
      const c = new Float32Array(B * U);
      cell(B, U, z, cPrev, h, c);
      hs.push(h);
      cs.push(c);
      x = h;
    }
    const logits = matmul(x, B, U, w.js?.out, w.tf?.out, V);
    for (let b = 0; b < B; b++)
      for (let v = 0; v < V; v++)
        logits[b * V + v] = (logits[b * V + v] as number) + (w.outBias[v] as number);
    const condition = conditioning.size > 0 ? { condition: last } : {};
    return { logits, state: { batch: B, h: hs, c: cs, ...condition } };
  };

  return {
    config: { ...config },
    engine,
    step,
    dispose() {
      if (w.tf) tf.dispose([w.tf.rec0, ...w.tf.stacked, w.tf.out]);
      w.tf = undefined;
    },
  };
}

/** The weights in the layout each engine multiplies fastest; `tf` is cleared on dispose. */
interface StepWeights {
  /** Layer 0's input term, bias included: row `id` of this table ([V, 4U]). */
  readonly table0: Float32Array;
  /** Layer 0's kernel ([V, 4U]): a condition token's row is added to the input term. */
  readonly kernel0: Float32Array;
  readonly biases: readonly Float32Array[];
  readonly outBias: Float32Array;
  /** JS engine: transposed copies (dot-product form). */
  readonly js?: { kernels: Float32Array[]; recurrent: Float32Array[]; out: Float32Array };
  /** tf engine: layer 0's recurrent kernel, each upper layer's [input; recurrent] kernel stacked, the output. */
  tf?: { rec0: tf.Tensor2D; stacked: tf.Tensor2D[]; out: tf.Tensor2D };
}

function prepareStepWeights(weights: LstmWeights, engine: StepperEngine): StepWeights {
  const { vocabSize: V, units: U, layers: L } = weights.config;
  const G = 4 * U;
  const arrays = weightsToArrays(weights);
  const at = (i: number): Float32Array => arrays[i] as Float32Array;
  const kernels = Array.from({ length: L }, (_, l) => at(3 * l));
  const recurrent = Array.from({ length: L }, (_, l) => at(3 * l + 1));
  const biases = Array.from({ length: L }, (_, l) => at(3 * l + 2));
  const outKernel = at(3 * L);
  const table0 = new Float32Array(V * G);
  const k0 = kernels[0] as Float32Array;
  const b0 = biases[0] as Float32Array;
  for (let v = 0; v < V; v++)
    for (let j = 0; j < G; j++) table0[v * G + j] = (k0[v * G + j] as number) + (b0[j] as number);
  const w: StepWeights = { table0, kernel0: k0, biases, outBias: at(3 * L + 1) };
  if (engine === "js")
    return {
      ...w,
      js: {
        kernels: kernels.map((k, l) => (l === 0 ? k : transposed(k, U, G))),
        recurrent: recurrent.map((r) => transposed(r, U, G)),
        out: transposed(outKernel, U, V),
      },
    };
  const tensors = tf.tidy(() => ({
    rec0: tf.tensor2d(recurrent[0] as Float32Array, [U, G]),
    stacked: Array.from({ length: L - 1 }, (_, i) =>
      tf.tensor2d(concat(kernels[i + 1] as Float32Array, recurrent[i + 1] as Float32Array), [2 * U, G]),
    ),
    out: tf.tensor2d(outKernel, [U, V]),
  }));
  for (const t of [tensors.rec0, ...tensors.stacked, tensors.out]) tf.keep(t);
  return { ...w, tf: tensors };
}

function matmul(
  x: Float32Array,
  rows: number,
  cols: number,
  wT: Float32Array | undefined,
  wt: tf.Tensor2D | undefined,
  n: number,
): Float32Array {
  if (wt) return tfMatMul(x, rows, cols, wt);
  if (wT) return jsMatMul(x, rows, cols, wT, n);
  throw new Error("stepper disposed");
}

/**
 * Layer 0's gate pre-activations: the embedding row of each id, plus its condition's kernel
 * row (−1: none), plus h·R when there is a previous state.
 */
function firstLayerGates(
  w: StepWeights,
  U: number,
  ids: Int32Array,
  conditions: Int32Array,
  hPrev: Float32Array | undefined,
): Float32Array {
  const B = ids.length;
  const G = 4 * U;
  const z = hPrev ? matmul(hPrev, B, U, w.js?.recurrent[0], w.tf?.rec0, G) : new Float32Array(B * G);
  for (let b = 0; b < B; b++) {
    const src = (ids[b] as number) * G;
    for (let j = 0; j < G; j++) z[b * G + j] = (z[b * G + j] as number) + (w.table0[src + j] as number);
    const condition = conditions[b] as number;
    if (condition < 0) continue;
    for (let j = 0; j < G; j++)
      z[b * G + j] = (z[b * G + j] as number) + (w.kernel0[condition * G + j] as number);
  }
  return z;
}

/** An upper layer's gate pre-activations: x·K + h·R + bias. */
function upperLayerGates(
  w: StepWeights,
  U: number,
  l: number,
  x: Float32Array,
  hPrev: Float32Array | undefined,
): Float32Array {
  const B = x.length / U;
  const G = 4 * U;
  let z: Float32Array;
  if (w.tf) {
    const xh = new Float32Array(B * 2 * U);
    const h = hPrev ?? new Float32Array(B * U);
    for (let b = 0; b < B; b++) {
      xh.set(x.subarray(b * U, (b + 1) * U), b * 2 * U);
      xh.set(h.subarray(b * U, (b + 1) * U), b * 2 * U + U);
    }
    z = tfMatMul(xh, B, 2 * U, w.tf.stacked[l - 1] as tf.Tensor2D);
  } else if (w.js) {
    z = jsMatMul(x, B, U, w.js.kernels[l] as Float32Array, G);
    if (hPrev) jsMatMulInto(z, hPrev, B, U, w.js.recurrent[l] as Float32Array, G);
  } else {
    throw new Error("stepper disposed");
  }
  const bias = w.biases[l] as Float32Array;
  for (let b = 0; b < B; b++)
    for (let j = 0; j < G; j++) z[b * G + j] = (z[b * G + j] as number) + (bias[j] as number);
  return z;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function tfMatMul(x: Float32Array, rows: number, cols: number, w: tf.Tensor2D): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(x, [rows, cols]), w));
  // A copy on wasm; on cpu the disposed tensor's own array, which nothing else holds.
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/** Transposed copy [n×cols] of w [cols×n], for the dot-product form of jsMatMul. */
function transposed(w: Float32Array, cols: number, n: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let k = 0; k < cols; k++) for (let j = 0; j < n; j++) out[j * cols + k] = w[k * n + j] as number;
  return out;
}

/** x[rows×cols] · w, with wT = wᵀ [n×cols]: dot products with four accumulators. */
function jsMatMul(x: Float32Array, rows: number, cols: number, wT: Float32Array, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  jsMatMulInto(out, x, rows, cols, wT, n);
  return out;
}

/** out[rows×n] += x[rows×cols] · w (given as wT [n×cols]). */
function jsMatMulInto(
  out: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  wT: Float32Array,
  n: number,
): void {
  const head = cols - (cols % 4);
  for (let r = 0; r < rows; r++) {
    const xo = r * cols;
    const oo = r * n;
    for (let j = 0; j < n; j++) {
      const wo = j * cols;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < head; k += 4) {
        a0 += (x[xo + k] as number) * (wT[wo + k] as number);
        a1 += (x[xo + k + 1] as number) * (wT[wo + k + 1] as number);
        a2 += (x[xo + k + 2] as number) * (wT[wo + k + 2] as number);
        a3 += (x[xo + k + 3] as number) * (wT[wo + k + 3] as number);
      }
      for (let k = head; k < cols; k++) a0 += (x[xo + k] as number) * (wT[wo + k] as number);
      out[oo + j] = (out[oo + j] as number) + a0 + a1 + a2 + a3;
    }
  }
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function cell(
  B: number,
  U: number,
  z: Float32Array,
  cPrev: Float32Array,
  hOut: Float32Array,
  cOut: Float32Array,
) {
  const G = 4 * U;
  for (let b = 0; b < B; b++) {
    const zo = b * G;
    const so = b * U;
    for (let u = 0; u < U; u++) {
      const i = sigmoid(z[zo + u] as number);
      const f = sigmoid(z[zo + U + u] as number);
      const g = tanh(z[zo + 2 * U + u] as number);
      const o = sigmoid(z[zo + 3 * U + u] as number);
      const c = f * (cPrev[so + u] as number) + i * g;
      cOut[so + u] = c;
      hOut[so + u] = o * tanh(c);
    }
  }
}

/**
 * A state made of the given rows of another (repeats allowed): prime once at batch 1 and
 * branch into N candidates, or drop the rows of candidates that have finished.
 */
export function selectRows(state: StepperState, rows: readonly number[]): StepperState {
  const pick = (a: Float32Array) => {
    const width = a.length / state.batch;
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, i) => {
      if (!(r >= 0 && r < state.batch)) throw new Error(`row ${r} is outside a batch of ${state.batch}`);
      out.set(a.subarray(r * width, (r + 1) * width), i * width);
    });
    return out;
  };
  const condition = state.condition
    ? { condition: Int32Array.from(rows, (r) => state.condition?.[r] ?? -1) }
    : {};
  return { batch: rows.length, h: state.h.map(pick), c: state.c.map(pick), ...condition };
}

/** The rows of `a`, then those of `b`, as one state (for one batched step over both). */
export function concatRows(a: StepperState, b: StepperState): StepperState {
  if (a.h.length !== b.h.length) throw new Error("cannot join states of models with different layers");
  const join = (x: Float32Array, y: Float32Array) => {
    const out = new Float32Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    batch: a.batch + b.batch,
    h: a.h.map((x, i) => join(x, b.h[i] as Float32Array)),
    c: a.c.map((x, i) => join(x, b.c[i] as Float32Array)),
    ...(a.condition || b.condition
      ? {
          condition: Int32Array.from([
            ...(a.condition ?? new Int32Array(a.batch).fill(-1)),
            ...(b.condition ?? new Int32Array(b.batch).fill(-1)),
          ]),
        }
      : {}),
  };
}
