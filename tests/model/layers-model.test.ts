import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tf } from "../../src/model/backend.js";
import {
  buildLayersModel,
  loadLayersModel,
  loadLstmWeights,
  saveLayersModel,
  VocabularyMismatchError,
  weightsFromLayersModel,
} from "../../src/model/layers-model.js";
import { lstmForward } from "../../src/model/lstm.js";
import { disposeWeights, initWeights, weightsToArrays } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import { Vocabulary } from "../../src/music/vocabulary.js";
import { maxAbsDiff, modelTestSetup } from "./reference.js";

const tempDir = modelTestSetup("tunesmith-model-");

/** A vocabulary of 3 specials + n plain tokens. */
const vocabOf = (n: number): Vocabulary =>
  Vocabulary.build([Array.from({ length: n }, (_, i) => `M:${i + 2}/4`)]);

const config = { vocabSize: 12, layers: 2, units: 16, dropout: 0.25 };

function oneHot(ids: Int32Array, B: number, T: number): tf.Tensor {
  return tf.tidy(() => tf.oneHot(tf.tensor2d(Array.from(ids), [B, T], "int32"), 12).toFloat());
}

describe("layers model", () => {
  it("saves model.json + weights.bin that tf.loadLayersModel reads back with the same predictions", async () => {
    const w = initWeights(config, 3);
    const dir = tempDir();
    const vocab = vocabOf(9);
    const saved = await saveLayersModel(w, dir, { vocabulary: vocab, metadata: { corpus: "toy" } });
    expect(saved.bytes).toBe(weightsToArrays(w).reduce((n, a) => n + a.length * 4, 0));
    const json = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(json.weightsManifest[0].paths).toEqual(["./weights.bin"]);
    expect(json.userDefinedMetadata).toMatchObject({
      format: "tunesmith-lstm/1",
      vocabSize: 12,
      corpus: "toy",
    });
    expect(existsSync(path.join(dir, "vocab.json"))).toBe(true);

    const B = 2;
    const T = 6;
    const rng = new Rng(1);
    const ids = Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * 12));
    const x = oneHot(ids, B, T);
    const built = buildLayersModel(w);
    const before = (built.predict(x) as tf.Tensor).dataSync();
    const model = await loadLayersModel(dir, { vocabulary: vocab });
    const after = (model.predict(x) as tf.Tensor).dataSync();
    expect(maxAbsDiff(before, after)).toBe(0);
    expect(maxAbsDiff(lstmForward(w, { batch: B, steps: T, inputs: ids }).logits, after)).toBeLessThan(1e-4);

    const back = weightsFromLayersModel(model);
    expect(back.config).toEqual(config);
    expect(weightsToArrays(back)).toEqual(weightsToArrays(w));
    for (const m of [built, model]) m.dispose();
    x.dispose();
    for (const ws of [w, back]) disposeWeights(ws);
  });

  it("keeps the tokens a model reads at every step (conditionIds) in model.json", async () => {
    const typed = { ...config, conditionIds: [4, 7] };
    const w = initWeights(typed, 3);
    const dir = tempDir();
    await saveLayersModel(w, dir, { vocabulary: vocabOf(9) });
    const back = await loadLstmWeights(dir);
    expect(back.config).toEqual(typed);
    for (const ws of [w, back]) disposeWeights(ws);
  });

  it("refuses a vocabulary of another size, naming both sizes and files", async () => {
    const w = initWeights(config, 4);
    const dir = tempDir();
    await saveLayersModel(w, dir);
    const vocabFile = path.join(dir, "other-vocab.json");
    const attempt = loadLayersModel(dir, { vocabulary: vocabOf(10), vocabularyFile: vocabFile });
    await expect(attempt).rejects.toBeInstanceOf(VocabularyMismatchError);
    await expect(
      loadLstmWeights(dir, { vocabulary: vocabOf(10), vocabularyFile: vocabFile }),
    ).rejects.toThrow(
      `the model ${path.join(dir, "model.json")} has 12 tokens but the vocabulary ${vocabFile} has 13`,
    );
    const ok = await loadLstmWeights(dir, { vocabulary: vocabOf(9) });
    expect(ok.config.vocabSize).toBe(12);
    disposeWeights(ok);
    disposeWeights(w);
  });

  it("says which file is missing", async () => {
    await expect(loadLayersModel(path.join(tempDir(), "nowhere"))).rejects.toThrow(
      /cannot read the model .*model\.json/,
    );
  });
});
