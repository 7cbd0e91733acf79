import { describe, expect, it } from "vitest";
import { lstmForward } from "../../src/model/lstm.js";
import { disposeWeights, initWeights } from "../../src/model/lstm-weights.js";
import { transferWeights } from "../../src/model/vocab-transfer.js";
import { Vocabulary } from "../../src/music/vocabulary.js";
import { modelTestSetup } from "./reference.js";

modelTestSetup("tunesmith-transfer-");

describe("carrying a model over to a wider vocabulary", () => {
  const small = Vocabulary.build([["M:6/8", "K:major", "A", "B", "|"]]);
  const wide = Vocabulary.build([["M:6/8", "K:major", "R:jig", "A", "B", "c", "|"]]);

  it("keeps what the model computes for the tokens it knew", () => {
    const before = initWeights({ vocabSize: small.size, layers: 2, units: 8, dropout: 0 }, 3);
    const after = transferWeights(before, small, wide, 1);
    const tokens = ["<s>", "M:6/8", "K:major", "A", "B", "|"];
    const run = (w: typeof before, v: Vocabulary) =>
      lstmForward(w, { inputs: Int32Array.from(v.encode(tokens)), batch: 1, steps: tokens.length }).logits;
    const old = run(before, small);
    const now = run(after, wide);
    // Each known token's logit is unchanged at every step.
    for (let t = 0; t < tokens.length; t++)
      for (const token of small.tokens)
        expect(now[t * wide.size + (wide.id(token) as number)]).toBeCloseTo(
          old[t * small.size + (small.id(token) as number)] as number,
          5,
        );
    disposeWeights(before);
    disposeWeights(after);
  });

  it("moves the tokens read at every step to their ids in the wider vocabulary", () => {
    const typed = Vocabulary.build([["M:6/8", "R:jig", "A", "|"]]);
    const wider = Vocabulary.build([["M:6/8", "M:9/8", "K:minor", "R:jig", "R:reel", "A", "|"]]);
    const jig = typed.id("R:jig") as number;
    const w = initWeights({ vocabSize: typed.size, layers: 1, units: 4, dropout: 0, conditionIds: [jig] }, 3);
    const moved = transferWeights(w, typed, wider, 1);
    expect(moved.config.conditionIds).toEqual([wider.id("R:jig")]);
    expect(wider.id("R:jig")).not.toBe(jig);
    disposeWeights(w);
    disposeWeights(moved);
  });

  it("refuses a vocabulary that drops a token the model knows", () => {
    const w = initWeights({ vocabSize: wide.size, layers: 1, units: 4, dropout: 0 }, 3);
    expect(() => transferWeights(w, wide, small, 1)).toThrow(/drops tokens the model knows: .*R:jig/);
    disposeWeights(w);
  });
});
