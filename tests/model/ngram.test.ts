import { describe, expect, it } from "vitest";
import { scoreSequenceModel } from "../../src/model/evaluate.js";
import { trainKneserNey, trainUnigram } from "../../src/model/ngram.js";

const V = 6;
const tune = (ids: number[], notes = ids.length - 2) => ({ title: "t", ids, notes });

describe("count baselines", () => {
  const corpus = [
    [1, 3, 4, 5, 3, 4, 5, 2],
    [1, 3, 4, 5, 3, 4, 2],
    [1, 4, 5, 3, 4, 5, 2],
  ];

  it.each([
    ["unigram", trainUnigram(corpus, V)],
    ["Kneser-Ney", trainKneserNey(corpus, V, 4)],
  ])("%s gives a probability distribution after any history", (_, model) => {
    for (const history of [[1], [1, 3], [1, 3, 4, 5], [1, 0, 0, 0, 0, 5]]) {
      let total = 0;
      for (let t = 0; t < V; t++) total += Math.exp(model.logProb(history, t));
      expect(total).toBeCloseTo(1, 9);
    }
  });

  it("Kneser-Ney learns the patterns the unigram cannot", () => {
    const held = [tune([1, 3, 4, 5, 3, 4, 5, 2])];
    const kn = scoreSequenceModel(trainKneserNey(corpus, V, 4), held);
    const uni = scoreSequenceModel(trainUnigram(corpus, V), held);
    expect(kn.natsPerToken).toBeLessThan(uni.natsPerToken * 0.6);
    expect(kn.tokens).toBe(7);
    expect(kn.notes).toBe(6);
    expect(kn.bitsPerNote).toBeCloseTo((kn.natsPerToken * 7) / 6 / Math.LN2, 9);
  });

  it("never gives zero probability to an unseen token", () => {
    const kn = trainKneserNey(corpus, V, 5);
    expect(Number.isFinite(kn.logProb([1, 3, 4], 0))).toBe(true);
  });
});
