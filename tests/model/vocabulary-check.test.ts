import { describe, expect, it } from "vitest";
import { checkModelVocabulary } from "../../src/model/vocabulary-check.js";
import { Vocabulary } from "../../src/music/vocabulary.js";

/** The one model–vocabulary check every loader, saver and version check goes through. */
describe("checkModelVocabulary", () => {
  const vocabulary = Vocabulary.build([["M:4/4", "K:major", "C", "D"]]);
  const other = Vocabulary.build([["M:4/4", "K:major", "C", "E"]]);
  const refuse = (m: { model: unknown; vocabulary: unknown }) =>
    new Error(`model ${m.model}, vocabulary ${m.vocabulary}`);

  it("compares fingerprints when the model records the vocabulary it was trained with", () => {
    expect(() =>
      checkModelVocabulary({ fingerprint: vocabulary.fingerprint() }, vocabulary, refuse),
    ).not.toThrow();
    // The same size, another token: only the fingerprint tells them apart.
    expect(other.size).toBe(vocabulary.size);
    expect(() => checkModelVocabulary({ fingerprint: vocabulary.fingerprint() }, other, refuse)).toThrow(
      `model ${vocabulary.fingerprint()}, vocabulary ${other.fingerprint()}`,
    );
  });

  it("compares widths when that is all that is known of the model, in the caller's words", () => {
    expect(() => checkModelVocabulary({ size: vocabulary.size }, vocabulary, refuse)).not.toThrow();
    expect(() =>
      checkModelVocabulary(
        { size: vocabulary.size + 1 },
        vocabulary,
        (m) => new RangeError(`${m.model} ≠ ${m.vocabulary}`),
      ),
    ).toThrow(new RangeError(`${vocabulary.size + 1} ≠ ${vocabulary.size}`));
  });
});
