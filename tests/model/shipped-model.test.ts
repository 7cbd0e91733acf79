import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { initBackend } from "../../src/model/backend.js";
import { disposeWeights } from "../../src/model/lstm-weights.js";
import { loadModelDir } from "../../src/model/model-dir.js";
import { evaluateTunes } from "../../src/model/trainer.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { tuneToTokens } from "../../src/music/tokens.js";

const shipped = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));

describe("the shipped model", () => {
  it("loads with its vocabulary and card, and finds a simple jig far likelier than chance", async () => {
    await initBackend("cpu");
    const model = await loadModelDir(shipped);
    try {
      expect(model.card?.architecture).toMatchObject({
        layers: 2,
        units: 256,
        vocabSize: model.vocabulary.size,
      });
      expect(model.card?.results.validationBitsPerNote).toBeLessThan(
        model.card?.results.baselines["5-gram Kneser-Ney"]?.bitsPerNote ?? 0,
      );
      const jig = parseAbc("X:1\nT:t\nM:6/8\nL:1/8\nK:D\n|:A|dfa afd|gfe fdB|AFA dfa|gfe d2:|\n");
      const ids = model.vocabulary.encode(tuneToTokens(jig));
      const { nll, tokens } = await evaluateTunes(model.weights, [ids]);
      expect(nll / tokens).toBeLessThan(Math.log(model.vocabulary.size) / 2);
      // Conditioned on tune types: every type the styles offer has its token.
      for (const type of ["reel", "jig", "slip-jig", "slide", "hornpipe", "polka", "air"])
        expect(model.vocabulary.id(`R:${type}`)).toBeDefined();
    } finally {
      disposeWeights(model.weights);
    }
  });
});
