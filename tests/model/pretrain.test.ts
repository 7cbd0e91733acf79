import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModelDir } from "../../src/model/model-dir.js";
import { trainPretrained } from "../../src/model/pretrain.js";
import { modelTestSetup } from "./reference.js";

const tempDir = modelTestSetup("tunesmith-pretrain-");

/** A small corpus of typed tunes: reels and jigs with names spread over both splits. */
function writeCorpus(dir: string): void {
  const notes = "DEFGABcdef";
  // Every tune different (collections are deduplicated by content): bar 1 from the tune's number.
  const opening = (i: number, n: number) =>
    Array.from({ length: n }, (_, k) => notes[(i * (k + 3) + k * k) % notes.length]).join("");
  const tunes = Array.from({ length: 60 }, (_, i) => {
    const reel = i % 2 === 0;
    return [
      `X:${i + 1}`,
      `T:${reel ? "Reel" : "Jig"} ${i + 1}`,
      `R:${reel ? "reel" : "jig"}`,
      `M:${reel ? "4/4" : "6/8"}`,
      "L:1/8",
      "K:D",
      reel
        ? `|:${opening(i, 8)}|GBdB gBdB|AcEc ecAc|d2f2 d4:|`
        : `|:${opening(i, 6)}|GBd gdB|AcE ecA|d3 d3:|`,
    ].join("\n");
  });
  writeFileSync(path.join(dir, "tunes.abc"), `${tunes.join("\n\n")}\n`);
}

describe("training a model from a collection", () => {
  it("with the tune type at every step, records the type tokens in the saved model and its card", async () => {
    const corpus = tempDir();
    const out = tempDir();
    writeCorpus(corpus);
    const result = await trainPretrained({
      corpus,
      out,
      backend: "cpu",
      architecture: { layers: 1, units: 8, dropout: 0, typeEveryStep: true },
      hyper: { maxEpochs: 1, batchSize: 2, seqLen: 16, learningRate: 0.01, seed: 1 },
    });
    expect(result.card.architecture.typeEveryStep).toBe(true);
    const saved = await loadModelDir(out);
    const ids = saved.weights.config.conditionIds ?? [];
    expect(ids.map((id) => saved.vocabulary.tokens[id]).sort()).toEqual(["R:jig", "R:reel"]);
  });
});
