import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tf } from "../../src/model/backend.js";
import { batchAt, packRows } from "../../src/model/batching.js";
import { disposeWeights, type LstmConfig, weightsToArrays } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import type { TrainHyperparameters, TrainOptions } from "../../src/model/train-types.js";
import { evaluateTunes, trainModel } from "../../src/model/trainer.js";
import { modelTestSetup } from "./reference.js";

const tempDir = modelTestSetup("tunesmith-train-");

/** Toy tunes: `<s>`, one of four motifs repeated to a random length, `</s>`. */
function toyCorpus(count: number, seed: number): number[][] {
  const motifs = [
    [3, 4, 5],
    [6, 7],
    [8, 9, 10, 11],
    [3, 5, 7, 9],
  ];
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const motif = motifs[Math.floor(rng.next() * motifs.length)] as number[];
    const length = 12 + Math.floor(rng.next() * 28);
    return [1, ...Array.from({ length }, (_, i) => motif[i % motif.length] as number), 2];
  });
}

const config: LstmConfig = { vocabSize: 12, layers: 2, units: 16, dropout: 0.1 };
const hyper: TrainHyperparameters = {
  seqLen: 16,
  batchSize: 4,
  learningRate: 0.02,
  clipNorm: 5,
  maxEpochs: 3,
  patience: 3,
  seed: 7,
  lrDecayFactor: 0.5,
  lrPatience: 1,
};
const train = toyCorpus(48, 1);
const validation = toyCorpus(12, 2);
const base = (extra: Partial<TrainOptions> = {}, h: Partial<TrainHyperparameters> = {}): TrainOptions => ({
  train,
  validation,
  config,
  hyper: { ...hyper, ...h },
  ...extra,
});

describe("packed batches", () => {
  it("deal every tune once, whole, with a reset at its start, and pad only the tail", () => {
    const tunes = [[1, 3, 4, 2], [1, 5, 2], [1, 6, 7, 8, 9, 2], [1, 2], [1]];
    const packed = packRows(tunes, [0, 1, 2, 3, 4], 2, 3);
    expect(packed.tokens).toBe(3 + 2 + 5 + 1);
    const seen: string[] = [];
    for (let r = 0; r < 2; r++) {
      const inp = [...(packed.inputs[r] as Int32Array)];
      const tgt = [...(packed.targets[r] as Int32Array)];
      const rst = [...(packed.resets[r] as Uint8Array)];
      let start = -1;
      for (let p = 0; p <= inp.length; p++) {
        if (p === inp.length || rst[p]) {
          if (start >= 0) seen.push([inp[start], ...tgt.slice(start, p)].join(" "));
          start = p;
        }
      }
    }
    expect(seen.sort()).toEqual(["1 2", "1 3 4 2", "1 5 2", "1 6 7 8 9 2"]);
    const chunks = Array.from({ length: packed.chunks }, (_, k) => batchAt(packed, k, 3));
    const real = chunks.reduce((n, b) => n + [...(b.targets as Int32Array)].filter((t) => t !== 0).length, 0);
    expect(real).toBe(packed.tokens);
    const last = chunks[chunks.length - 1];
    expect(last?.inputs.length).toBe(6);
  });
});

describe("trainModel", () => {
  it("lowers the validation loss clearly on a toy corpus, deterministically", async () => {
    const progress: number[] = [];
    const a = await trainModel(
      base({ onProgress: (p) => progress.push(p.trainLoss) }, { maxEpochs: 6, patience: 6 }),
    );
    const before = a.history[0]?.valLoss as number;
    const after = a.best?.valLoss as number;
    expect(a.history).toHaveLength(6);
    expect(a.stopReason).toBe("max-epochs");
    expect(after).toBeLessThan(0.6 * before);
    expect(after).toBeLessThan(1.2);
    expect(progress.length).toBe(a.step);
    // The returned best weights reproduce the best validation loss.
    const again = await evaluateTunes(a.bestWeights, validation, { batchSize: 4, seqLen: 16 });
    expect(again.nll / again.tokens).toBeCloseTo(after, 5);
    expect(again.tokens).toBe(validation.reduce((n, t) => n + t.length - 1, 0));
    // Next-token accuracy: motifs repeat, so a trained model predicts most tokens.
    const firstAccuracy = a.history[0]?.valAccuracy as number;
    const lastAccuracy = a.history.at(-1)?.valAccuracy as number;
    expect(lastAccuracy).toBeGreaterThan(firstAccuracy);
    expect(lastAccuracy).toBeGreaterThan(0.6);
    expect(again.correct / again.tokens).toBeCloseTo(
      a.history[a.best?.epoch as number]?.valAccuracy as number,
      5,
    );
    expect(a.history.every((h) => (h.trainAccuracy as number) > 0 && (h.trainAccuracy as number) <= 1)).toBe(
      true,
    );
    const b = await trainModel(base({}, { maxEpochs: 2 }));
    expect(b.history.map((h) => h.valLoss)).toEqual(a.history.slice(0, 2).map((h) => h.valLoss));
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.slice(0, 2).map((h) => h.trainLoss));
    disposeWeights(a.bestWeights);
    disposeWeights(b.bestWeights);
  });

  for (const [label, model] of [
    ["", config],
    [" (tune type at every step, carried in the checkpoint)", { ...config, conditionIds: [3, 5] }],
  ] as const)
    it(`resumes exactly: N steps in one go equal N/2 + checkpoint + resume + N/2${label}`, async () => {
      const N = 36; // the first half stops mid-epoch 0, the whole run crosses into epoch 1
      const whole = await trainModel(
        base({ checkpointDir: tempDir(), config: model }, { maxSteps: N, maxEpochs: 10 }),
      );
      const dir = tempDir();
      const first = await trainModel(
        base({ checkpointDir: dir, config: model }, { maxSteps: N / 2, maxEpochs: 10 }),
      );
      expect(first.stopReason).toBe("max-steps");
      expect(first.history).toHaveLength(0);
      expect(whole.history).toHaveLength(1);
      expect(readdirSync(dir)).toEqual(["checkpoint"]);
      const second = await trainModel(
        base({ checkpointDir: dir, resume: true, config: model }, { maxSteps: N, maxEpochs: 10 }),
      );
      expect(second.resumed).toBe(true);
      expect(second.step).toBe(N);
      expect(second.history).toEqual(whole.history.map((h) => ({ ...h, seconds: expect.any(Number) })));
      expect(weightsToArrays(second.bestWeights)).toEqual(weightsToArrays(whole.bestWeights));
      for (const r of [whole, first, second]) disposeWeights(r.bestWeights);
    });

  it("stops on abort with a checkpoint it can resume from", async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const r = await trainModel(
      base({
        checkpointDir: dir,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 5) controller.abort();
        },
      }),
    );
    expect(r.stopReason).toBe("aborted");
    expect(r.step).toBe(5);
    disposeWeights(r.bestWeights);
    const resumed = await trainModel(base({ checkpointDir: dir, resume: true }, { maxSteps: 8 }));
    expect(resumed.step).toBe(8);
    disposeWeights(resumed.bestWeights);
    await expect(trainModel(base({ checkpointDir: tempDir(), resume: true }))).rejects.toThrow(
      /no checkpoint/,
    );
    await expect(
      trainModel({ ...base({ checkpointDir: dir, resume: true }), train: train.slice(1) }),
    ).rejects.toThrow(/different tunes/);
  });

  it("fine-tunes from initial weights without touching them, and keeps tensor count flat", async () => {
    const pre = await trainModel(base({}, { maxEpochs: 1 }));
    const snapshot = weightsToArrays(pre.bestWeights);
    const counts: number[] = [];
    const tuned = await trainModel(
      base(
        { initialWeights: pre.bestWeights, onProgress: () => counts.push(tf.memory().numTensors) },
        { maxEpochs: 1 },
      ),
    );
    expect(weightsToArrays(pre.bestWeights)).toEqual(snapshot);
    expect((tuned.history[0]?.valLoss as number) < (pre.history[0]?.valLoss as number)).toBe(true);
    expect(new Set(counts.slice(1)).size).toBe(1);
    disposeWeights(pre.bestWeights);
    disposeWeights(tuned.bestWeights);
  });

  it("decays the learning rate on a plateau and stops early with patience", async () => {
    // A learning rate of ~0 cannot improve by 1e-3 after the first epoch: a plateau.
    const r = await trainModel(
      base({}, { learningRate: 1e-9, minImprovement: 1e-3, maxEpochs: 10, patience: 2, lrPatience: 1 }),
    );
    expect(r.stopReason).toBe("early-stop");
    expect(r.history).toHaveLength(3);
    expect(r.history.map((h) => h.learningRate)).toEqual([1e-9, 1e-9, 5e-10]);
    expect(r.best?.epoch).toBe(0);
    disposeWeights(r.bestWeights);
  });
});
