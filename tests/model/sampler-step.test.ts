import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../src/model/backend.js";
import { lstmForward } from "../../src/model/lstm.js";
import { disposeWeights, initWeights } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import { concatRows, createStepper, type StepperState, selectRows } from "../../src/model/sampler-step.js";
import { maxAbsDiff, useTestBackend } from "./reference.js";

beforeAll(async () => {
  await useTestBackend();
});

describe("stepper", () => {
  for (const engine of ["tf", "js"] as const) {
    for (const [layers, conditionIds] of [
      [1, []],
      [2, []],
      [1, [2, 5]],
      [2, [2, 5]],
    ] as const) {
      const conditioned = conditionIds.length > 0 ? ", tune type at every step" : "";
      it(`gives the full forward's logits step by step (${engine}, ${layers} layer${layers > 1 ? "s" : ""}, batch 3${conditioned})`, () => {
        const V = 12;
        const w = initWeights({ vocabSize: V, layers, units: 16, dropout: 0, conditionIds }, 9);
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
        expect(state?.condition).toEqual(full.state.condition);
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

describe("rows of a state", () => {
  it("keep each row's tune type when selected and joined", () => {
    const w = initWeights({ vocabSize: 12, layers: 1, units: 8, dropout: 0, conditionIds: [2, 5] }, 4);
    const stepper = createStepper(w);
    const typed = stepper.step(Int32Array.from([2, 7, 5])).state;
    expect(Array.from(typed.condition ?? [])).toEqual([2, -1, 5]);
    expect(Array.from(selectRows(typed, [2, 2, 0]).condition ?? [])).toEqual([5, 5, 2]);
    expect(Array.from(concatRows(typed, selectRows(typed, [1])).condition ?? [])).toEqual([2, -1, 5, -1]);
    // A branched row goes on exactly as the row it was taken from.
    const next = Int32Array.from([4, 4, 4]);
    const direct = stepper.step(next, typed).logits;
    const branched = stepper.step(next, selectRows(typed, [0, 1, 2])).logits;
    expect(branched).toEqual(direct);
    stepper.dispose();
    disposeWeights(w);
  });
});
