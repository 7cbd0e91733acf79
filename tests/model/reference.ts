import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { initBackend, tf } from "../../src/model/backend.js";
import type { TokenBatch } from "../../src/model/lstm.js";
import { type LstmState, type LstmWeights, weightVariables } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";

/**
 * A plain, differentiable re-implementation of the model with ordinary tf ops (one-hot
 * inputs through tf.matMul, never tf.gather), so tf autodiff can check the hand-written
 * backward. Returns the masked mean cross-entropy, as lstmGradients differentiates.
 */
export function referenceLoss(
  weights: LstmWeights,
  batch: TokenBatch,
  initial?: LstmState,
  masks?: readonly Float32Array[],
): tf.Scalar {
  const { vocabSize: V, units: U, layers: L } = weights.config;
  const B = batch.batch;
  const T = batch.steps;
  const targets = batch.targets as Int32Array;
  const col = (a: Int32Array | Uint8Array, t: number): number[] =>
    Array.from({ length: B }, (_, b) => a[b * T + t] as number);
  const h = Array.from({ length: L }, (_, l) =>
    initial ? tf.tensor2d(initial.h[l] as Float32Array, [B, U]) : tf.zeros([B, U]),
  );
  const c = Array.from({ length: L }, (_, l) =>
    initial ? tf.tensor2d(initial.c[l] as Float32Array, [B, U]) : tf.zeros([B, U]),
  );
  let total = tf.scalar(0);
  let count = 0;
  // The condition token each row's tune has read before this step (−1: none → a zero row).
  const conditionTokens = new Set(weights.config.conditionIds ?? []);
  const condition = Array.from({ length: B }, (_, b) => initial?.condition?.[b] ?? -1);
  for (let t = 0; t < T; t++) {
    const ids = col(batch.inputs, t);
    const resets = batch.resets ? col(batch.resets, t) : [];
    for (let b = 0; b < B; b++) if (resets[b]) condition[b] = -1;
    let x: tf.Tensor = tf
      .add(tf.oneHot(tf.tensor1d(ids, "int32"), V), tf.oneHot(tf.tensor1d(condition, "int32"), V))
      .toFloat();
    for (let b = 0; b < B; b++) if (conditionTokens.has(ids[b] as number)) condition[b] = ids[b] as number;
    for (let l = 0; l < L; l++) {
      const w = weights.layers[l];
      if (!w) throw new Error("layer");
      let hp = h[l] as tf.Tensor;
      let cp = c[l] as tf.Tensor;
      if (batch.resets) {
        const keep = tf.tensor2d(
          col(batch.resets, t).map((r) => (r ? 0 : 1)),
          [B, 1],
        );
        hp = tf.mul(hp, keep);
        cp = tf.mul(cp, keep);
      }
      const z = tf.add(tf.add(tf.matMul(x, w.kernel), tf.matMul(hp, w.recurrentKernel)), w.bias);
      const i = tf.sigmoid(tf.slice(z, [0, 0], [B, U]));
      const f = tf.sigmoid(tf.slice(z, [0, U], [B, U]));
      const g = tf.tanh(tf.slice(z, [0, 2 * U], [B, U]));
      const o = tf.sigmoid(tf.slice(z, [0, 3 * U], [B, U]));
      const cn = tf.add(tf.mul(f, cp), tf.mul(i, g));
      const hn = tf.mul(o, tf.tanh(cn));
      h[l] = hn;
      c[l] = cn;
      x = hn;
      const mask = masks?.[l];
      if (mask) x = tf.mul(x, tf.tensor2d(mask.slice(t * B * U, (t + 1) * B * U), [B, U]));
    }
    const logits = tf.add(tf.matMul(x, weights.outKernel), weights.outBias);
    const y = col(targets, t);
    const w = y.map((id): number => (id === 0 ? 0 : 1));
    count += w.reduce((a, b) => a + b, 0);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(y, "int32"), V).toFloat()), 1);
    total = tf.sub(total, tf.sum(tf.mul(picked, tf.tensor1d(w))));
  }
  return tf.div(total, Math.max(count, 1)) as tf.Scalar;
}

/** tf autodiff gradients of referenceLoss, in weightVariables order, as arrays. */
export function referenceGradients(
  weights: LstmWeights,
  batch: TokenBatch,
  initial?: LstmState,
  masks?: readonly Float32Array[],
): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const vars = weightVariables(weights);
    const { value, grads } = tf.variableGrads(() => referenceLoss(weights, batch, initial, masks), vars);
    return {
      loss: value.dataSync()[0] as number,
      grads: vars.map((v) => Float32Array.from((grads[v.name] as tf.Tensor).dataSync() as Float32Array)),
    };
  });
}

export function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Tests run on the cpu backend unless TUNESMITH_TEST_BACKEND=wasm. */
export async function useTestBackend(): Promise<string> {
  const wanted = process.env.TUNESMITH_TEST_BACKEND === "wasm" ? "wasm" : "cpu";
  const choice = await initBackend(wanted);
  return choice.name;
}

/** Random batch with pads, resets and a random initial state, deterministic. */
export function randomBatch(
  config: { vocabSize: number; units: number; layers: number },
  B: number,
  T: number,
  seed: number,
): { batch: TokenBatch; initial: LstmState } {
  const rng = new Rng(seed);
  const V = config.vocabSize;
  const inputs = Int32Array.from({ length: B * T }, () => 1 + Math.floor(rng.next() * (V - 1)));
  const targets = Int32Array.from({ length: B * T }, () =>
    rng.next() < 0.15 ? 0 : 1 + Math.floor(rng.next() * (V - 1)),
  );
  const resets = Uint8Array.from({ length: B * T }, () => (rng.next() < 0.1 ? 1 : 0));
  const size = B * config.units;
  const initial: LstmState = {
    h: Array.from({ length: config.layers }, () =>
      Float32Array.from({ length: size }, () => rng.normal() * 0.3),
    ),
    c: Array.from({ length: config.layers }, () =>
      Float32Array.from({ length: size }, () => rng.normal() * 0.3),
    ),
  };
  return { batch: { batch: B, steps: T, inputs, targets, resets }, initial };
}

/**
 * Per-file setup for model tests: the test backend before all tests, and temporary
 * directories (from the returned factory) removed after them.
 */
export function modelTestSetup(prefix: string): () => string {
  const dirs: string[] = [];
  beforeAll(async () => {
    await useTestBackend();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
