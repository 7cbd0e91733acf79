import { tf } from "./backend.js";
import type { Rng } from "./rng.js";

/** Per-layer kernels of lstm.ts: matmul helpers, the cell, one layer forward and backward, dropout. */

/** a[rows×cols] · w → Float32Array, one upload + one matmul + one download. */
export function matMulSync(a: Float32Array, rows: number, cols: number, w: tf.Tensor2D): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, cols]), w));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

export function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
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

export function columnSums(src: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[base + c] as number);
  }
  return Float32Array.from(acc);
}

export interface LayerTrace {
  /** [T·B, 4U] activations i, f, g, o. */
  readonly gates: Float32Array;
  /** [T·B, U] c entering each step (after resets). */
  readonly cPrev: Float32Array;
  /** [T·B, U] tanh(c_t). */
  readonly tanhC: Float32Array;
  /** [U, T·B] h entering each step (after resets), transposed for dR = Hprevᵀ·dZ. */
  readonly hPrevT: Float32Array;
}

export interface LayerOutput {
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
export function doubleCandidate(a: Float32Array, rows: number, U: number): void {
  const G = 4 * U;
  for (let r = 0; r < rows; r++) {
    const o = r * G + 2 * U;
    for (let u = 0; u < U; u++) a[o + u] = 2 * (a[o + u] as number);
  }
}

/** The recurrent kernel with its candidate block doubled (see cellFromSigmoids). */
export function scaledRecurrent(recurrent: tf.Tensor2D, U: number): tf.Tensor2D {
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
export function runLayer(
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
export function backLayer(
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
export function dropoutMask(rng: Rng, size: number, rate: number): Float32Array {
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
