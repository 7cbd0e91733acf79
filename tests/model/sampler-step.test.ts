import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../src/model/backend.js";
import { lstmForward } from "../../src/model/lstm.js";
import { disposeWeights, initWeights } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import { createStepper, type StepperState } from "../../src/model/sampler-step.js";
import { maxAbsDiff, useTestBackend } from "./reference.js";

beforeAll(async () => {
  await useTestBackend();
});

describe("stepper", () => {
  for (const engine of ["tf", "js"] as const) {
    for (const layers of [1, 2]) {
      it(`gives the full forward's logits step by step (${engine}, ${layers} layer${layers > 1 ? "s" : ""}, batch 3)`, () => {
        const V = 12;
        const w = initWeights({ vocabSize: V, layers, units: 16, dropout: 0 }, 9);
        const B = 3;
        const T = 10;
        const rng = new Rng(layers);
        const inputs = Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * V));
        const full = lstmForward(w, { batch: B, steps: T, inputs });
        const stepper = createStepper(w, { engine });
        expect(stepper.engine).toBe(engine);
        let state: StepperState | undefined;
        const got = new Float32Array(B * T * V);
        for (let t = 0; t < T; t++) {
          const ids = Int32Array.from({ length: B }, (_, b) => inputs[b * T + t] as number);
          const r = stepper.step(ids, state);
          state = r.state;
          for (let b = 0; b < B; b++) got.set(r.logits.subarray(b * V, (b + 1) * V), (b * T + t) * V);
        }
        expect(maxAbsDiff(got, full.logits)).toBeLessThan(1e-4);
        expect(
          maxAbsDiff(state?.h[layers - 1] as Float32Array, full.state.h[layers - 1] as Float32Array),
        ).toBeLessThan(1e-5);
        stepper.dispose();
        disposeWeights(w);
      });
    }
  }

  it("never modifies the state it is given, and leaks no tensors", () => {
    const w = initWeights({ vocabSize: 12, layers: 2, units: 16, dropout: 0 }, 2);
    const stepper = createStepper(w);
    const s1 = stepper.step(Int32Array.from([1])).state;
    const copy = s1.h.map((a) => Float32Array.from(a));
    const a = stepper.step(Int32Array.from([5]), s1);
    const before = tf.memory().numTensors;
    const b = stepper.step(Int32Array.from([5]), s1);
    for (let i = 0; i < 5; i++) stepper.step(Int32Array.from([3]), b.state);
    expect(tf.memory().numTensors).toBe(before);
    expect(s1.h).toEqual(copy);
    expect(a.logits).toEqual(b.logits);
    expect(() => stepper.step(Int32Array.from([12]), s1)).toThrow(/outside/);
    expect(() => stepper.step(Int32Array.from([1, 2]), s1)).toThrow(/batch/);
    stepper.dispose();
    disposeWeights(w);
  });
});
