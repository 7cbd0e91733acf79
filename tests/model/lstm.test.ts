import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../src/model/backend.js";
import { buildLayersModel } from "../../src/model/layers-model.js";
import { lstmForward, lstmGradients, lstmLoss, type TokenBatch } from "../../src/model/lstm.js";
import {
  disposeWeights,
  initWeights,
  type LstmConfig,
  type LstmState,
  type LstmWeights,
  weightsToArrays,
  weightVariables,
} from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import { maxAbsDiff, randomBatch, referenceGradients, relativeError, useTestBackend } from "./reference.js";

beforeAll(async () => {
  await useTestBackend();
});

const tiny = (layers: number, dropout = 0): LstmConfig => ({ vocabSize: 12, layers, units: 16, dropout });

/** Our hand-written loss and gradients equal tf autodiff of the plain reference model's. */
function expectAutodiffGradients(
  w: LstmWeights,
  batch: TokenBatch,
  initial: LstmState,
  masks?: readonly Float32Array[],
): void {
  const ours = lstmGradients(w, batch, initial, masks ? { dropoutMasks: masks } : {});
  const ref = referenceGradients(w, batch, initial, masks);
  expect(ours.loss).toBeCloseTo(ref.loss, 5);
  expect(ours.grads).toHaveLength(ref.grads.length);
  ours.grads.forEach((g, i) => {
    expect(relativeError(g.dataSync() as Float32Array, ref.grads[i] as Float32Array)).toBeLessThan(1e-3);
  });
  tf.dispose(ours.grads);
}

describe("weights", () => {
  it("are deterministic from the seed, in the tf.layers.lstm layout, with unit forget bias", () => {
    const a = initWeights(tiny(2), 5);
    const b = initWeights(tiny(2), 5);
    const c = initWeights(tiny(2), 6);
    expect(weightVariables(a).map((v) => v.shape)).toEqual([
      [12, 64],
      [16, 64],
      [64],
      [16, 64],
      [16, 64],
      [64],
      [16, 12],
      [12],
    ]);
    const [wa, wb, wc] = [a, b, c].map(weightsToArrays);
    expect(wa).toEqual(wb);
    expect(wa?.[0]).not.toEqual(wc?.[0]);
    const bias = wa?.[2] as Float32Array;
    expect([...bias.subarray(0, 16)].every((x) => x === 0)).toBe(true);
    expect([...bias.subarray(16, 32)].every((x) => x === 1)).toBe(true);
    // Orthogonal recurrent blocks: rows of each U×U gate block are orthonormal.
    const rec = wa?.[1] as Float32Array;
    let dot = 0;
    let norm = 0;
    for (let k = 0; k < 16; k++) {
      dot += (rec[0 * 64 + 32 + k] as number) * (rec[1 * 64 + 32 + k] as number);
      norm += (rec[0 * 64 + 32 + k] as number) ** 2;
    }
    expect(Math.abs(dot)).toBeLessThan(1e-5);
    expect(norm).toBeCloseTo(1, 5);
    for (const w of [a, b, c]) disposeWeights(w);
  });
});

describe("forward", () => {
  for (const layers of [1, 2]) {
    it(`equals a tf.layers.lstm LayersModel's predictions (${layers} layer${layers > 1 ? "s" : ""})`, () => {
      const w = initWeights(tiny(layers), 11 + layers);
      const B = 3;
      const T = 9;
      const rng = new Rng(4);
      const inputs = Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * 12));
      const ours = lstmForward(w, { batch: B, steps: T, inputs });
      const model = buildLayersModel(w);
      const expected = tf.tidy(() => {
        const x = tf.oneHot(tf.tensor2d(Array.from(inputs), [B, T], "int32"), 12).toFloat();
        return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
      });
      expect(ours.logits.length).toBe(B * T * 12);
      expect(maxAbsDiff(ours.logits, expected)).toBeLessThan(1e-4);
      model.dispose();
      disposeWeights(w);
    });
  }

  it("carries the state: two windows with the state passed on equal one long window", () => {
    const w = initWeights(tiny(2), 3);
    const { batch } = randomBatch(tiny(2), 2, 10, 8);
    const whole = lstmForward(w, { batch: 2, steps: 10, inputs: batch.inputs, resets: batch.resets });
    const cut = (from: number, to: number) => {
      const pick = <A extends Int32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
        const out = make(2 * (to - from));
        for (let b = 0; b < 2; b++) out.set(a.subarray(b * 10 + from, b * 10 + to), b * (to - from));
        return out;
      };
      return {
        batch: 2,
        steps: to - from,
        inputs: pick(batch.inputs, (n) => new Int32Array(n)),
        resets: pick(batch.resets as Uint8Array, (n) => new Uint8Array(n)),
      };
    };
    const first = lstmForward(w, cut(0, 4));
    const second = lstmForward(w, cut(4, 10), first.state);
    for (let b = 0; b < 2; b++) {
      expect(
        maxAbsDiff(
          first.logits.subarray(b * 4 * 12, (b + 1) * 4 * 12),
          whole.logits.subarray(b * 120, b * 120 + 48),
        ),
      ).toBeLessThan(1e-6);
      expect(
        maxAbsDiff(
          second.logits.subarray(b * 6 * 12, (b + 1) * 6 * 12),
          whole.logits.subarray(b * 120 + 48, (b + 1) * 120),
        ),
      ).toBeLessThan(1e-6);
    }
    expect(maxAbsDiff(second.state.h[1] as Float32Array, whole.state.h[1] as Float32Array)).toBeLessThan(
      1e-6,
    );
    disposeWeights(w);
  });

  it("a reset makes the rest of a row independent of what came before", () => {
    const w = initWeights(tiny(1), 3);
    const inputs = Int32Array.from([3, 4, 5, 6, 7, 8, 9, 3, 4, 5, 6, 7]);
    const other = Int32Array.from([9, 9, 9, 1, 1, 8, 9, 3, 4, 5, 6, 7]);
    const resets = new Uint8Array(12);
    resets[6] = 1;
    const a = lstmForward(w, { batch: 1, steps: 12, inputs, resets });
    const b = lstmForward(w, { batch: 1, steps: 12, inputs: other, resets });
    expect(maxAbsDiff(a.logits.subarray(6 * 12), b.logits.subarray(6 * 12))).toBe(0);
    expect(maxAbsDiff(a.logits.subarray(0, 12), b.logits.subarray(0, 12))).toBeGreaterThan(1e-3);
    disposeWeights(w);
  });
});

describe("backward", () => {
  for (const layers of [1, 2]) {
    it(`matches tf autodiff of a plain one-hot/matMul model (${layers} layer${layers > 1 ? "s" : ""}, pads, resets, initial state)`, () => {
      const config = tiny(layers);
      const w = initWeights(config, 21);
      const { batch, initial } = randomBatch(config, 3, 8, 30 + layers);
      expectAutodiffGradients(w, batch, initial);
      disposeWeights(w);
    });
  }

  it("matches autodiff with dropout when both use the same masks", () => {
    const config = tiny(2, 0.3);
    const w = initWeights(config, 22);
    const { batch, initial } = randomBatch(config, 2, 7, 40);
    const rng = new Rng(9);
    const masks = [0, 1].map(() =>
      Float32Array.from({ length: 2 * 7 * 16 }, () => (rng.next() < 0.3 ? 0 : 1 / 0.7)),
    );
    expectAutodiffGradients(w, batch, initial, masks);
    disposeWeights(w);
  });

  it("the loss is the mean NLL over non-pad targets, and equals lstmLoss without dropout", () => {
    const config = tiny(2);
    const w = initWeights(config, 23);
    const { batch, initial } = randomBatch(config, 2, 6, 50);
    const g = lstmGradients(w, batch, initial);
    const l = lstmLoss(w, batch, initial);
    const counted = [...(batch.targets as Int32Array)].filter((t) => t !== 0).length;
    expect(g.tokens).toBe(counted);
    expect(l.tokens).toBe(counted);
    expect(g.nll).toBeCloseTo(l.nll, 4);
    expect(g.loss).toBeCloseTo(l.nll / counted, 5);
    tf.dispose(g.grads);
    disposeWeights(w);
  });

  it("leaks no tensors across steps", () => {
    const config = tiny(2, 0.2);
    const w = initWeights(config, 24);
    const { batch } = randomBatch(config, 4, 12, 60);
    const rng = new Rng(1);
    const optimizer: tf.Optimizer = tf.train.adam(0.01);
    const counts: number[] = [];
    let state: ReturnType<typeof lstmGradients>["state"] | undefined;
    for (let i = 0; i < 5; i++) {
      const r = lstmGradients(w, batch, state, { dropoutRng: rng });
      state = r.state;
      const vars = weightVariables(w);
      optimizer.applyGradients(Object.fromEntries(vars.map((v, k) => [v.name, r.grads[k] as tf.Tensor])));
      tf.dispose(r.grads);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    disposeWeights(w);
  });
});

describe("tune type at every step (conditionIds)", () => {
  const typed = (layers: number): LstmConfig => ({ ...tiny(layers), conditionIds: [3, 5] });

  for (const layers of [1, 2]) {
    it(`backward matches tf autodiff of a two-hot input model (${layers} layer${layers > 1 ? "s" : ""}, resets, initial state and type)`, () => {
      const config = typed(layers);
      const w = initWeights(config, 23);
      const { batch, initial } = randomBatch(config, 3, 12, 40 + layers);
      const start = { ...initial, condition: Int32Array.from([5, -1, 3]) };
      expectAutodiffGradients(w, batch, start);
      disposeWeights(w);
    });
  }

  it("changes the predictions only after the type is read, and forgets it where a tune starts", () => {
    const plain = initWeights(tiny(1), 5);
    const w = initWeights(typed(1), 5);
    const inputs = Int32Array.from([1, 2, 3, 4, 4, 1, 2, 4]);
    const resets = Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 0]);
    const a = lstmForward(plain, { batch: 1, steps: 8, inputs, resets });
    const b = lstmForward(w, { batch: 1, steps: 8, inputs, resets });
    const at = (r: typeof a, t: number) => r.logits.subarray(t * 12, (t + 1) * 12);
    for (const t of [0, 1, 2, 5, 6, 7]) expect(maxAbsDiff(at(a, t), at(b, t))).toBe(0);
    for (const t of [3, 4]) expect(maxAbsDiff(at(a, t), at(b, t))).toBeGreaterThan(1e-3);
    expect(Array.from(b.state.condition ?? [])).toEqual([-1]);
    expect(a.state.condition).toBeUndefined();
    disposeWeights(plain);
    disposeWeights(w);
  });

  it("carries the type from one window to the next", () => {
    const w = initWeights(typed(2), 6);
    const inputs = Int32Array.from([1, 2, 5, 4, 6, 7, 8, 9, 4, 6]);
    const whole = lstmForward(w, { batch: 1, steps: 10, inputs });
    const first = lstmForward(w, { batch: 1, steps: 4, inputs: inputs.subarray(0, 4) });
    const second = lstmForward(w, { batch: 1, steps: 6, inputs: inputs.subarray(4) }, first.state);
    expect(Array.from(first.state.condition ?? [])).toEqual([5]);
    expect(maxAbsDiff(second.logits, whole.logits.subarray(4 * 12))).toBeLessThan(1e-6);
    disposeWeights(w);
  });
});
