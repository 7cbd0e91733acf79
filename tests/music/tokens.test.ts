import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { roundTrips } from "../../src/music/corpus.js";
import { intervalBetween, parseKey, type Tonic } from "../../src/music/key.js";
import { TokenError, tokensToTune, tuneToTokens } from "../../src/music/tokens.js";
import { transposeTo } from "../../src/music/transpose.js";
import type { Tune } from "../../src/music/tune.js";
import { Vocabulary, VocabularyError } from "../../src/music/vocabulary.js";

const fixtureTunes = parseAbcFile(
  readFileSync(new URL("../fixtures/tunes.abc", import.meta.url), "utf8"),
).flatMap((r) => (r.result.ok ? [r.result.tune] : []));

describe("tokens", () => {
  it("writes meter, mode, pitches transposed to C, lengths, bars, endings, tuplets, ties and rests", () => {
    const t = parseAbc("X:1\nM:6/8\nL:1/8\nK:D\n|:F2A (3Bcd e-|[1 e3 z3:|[2 ^e3 =c3|]\n");
    expect(tuneToTokens(t)).toEqual(
      "<s> M:6/8 K:major |: E 2 G (3 A B c d - | [1 d 3 z 3 :| [2 ^d 3 _B 3 |] </s>".split(" "),
    );
  });

  it("keeps the mode and uses explicit accidentals for the mode's scale", () => {
    const t = parseAbc("X:1\nM:4/4\nL:1/8\nK:Gm\nGABc defg|]\n");
    expect(tuneToTokens(t).slice(1, 11)).toEqual([
      "M:4/4",
      "K:minor",
      "c",
      "d",
      "_e",
      "f",
      "g",
      "_a",
      "_b",
      "c'",
    ]);
  });

  it("writes tuplets with non-default q or r in full", () => {
    const t = parseAbc("X:1\nM:4/4\nL:1/8\nK:C\n(3:2:2A2B (5ABcde z3|]\n");
    expect(tuneToTokens(t)).toContain("(3:2:2");
    expect(tuneToTokens(t)).toContain("(5:2:5");
  });

  it.each(fixtureTunes.map((t) => [t.title, t]))("round-trips %s exactly", (_, tune) => {
    const tokens = tuneToTokens(tune as Tune);
    expect(roundTrips(tune as Tune, tokens)).toBe(true);
  });

  it("rebuilds the tune in the tonic asked for", () => {
    const t = parseAbc("X:1\nM:3/4\nL:1/8\nK:A Dorian\nABcd ef|]\n");
    const back = tokensToTune(tuneToTokens(t), { tonic: parseKey("E").tonic, title: "Back" });
    expect(back.key).toEqual({ tonic: { step: 2, alter: 0 }, mode: "dorian" });
    expect(back.title).toBe("Back");
    expect(back.elements.slice(0, 2)).toEqual([
      { kind: "note", pitch: { step: 2, octave: 5, alter: 0 }, duration: { n: 1, d: 8 } },
      { kind: "note", pitch: { step: 3, octave: 5, alter: 1 }, duration: { n: 1, d: 8 } },
    ]);
  });

  it.each([
    [["<s>", "K:major", "C", "</s>"], /expected a meter token/],
    [["<s>", "M:4/4", "K:weird", "C", "</s>"], /expected a mode token/],
    [["<s>", "M:4/4", "K:major", "H", "</s>"], /unexpected token "H"/],
    [["<s>", "M:4/4", "K:major", "(3", "C", "D", "</s>"], /ends inside a tuplet/],
    [["<s>", "M:4/4", "K:major", "C", "</s>", "D"], /after the end/],
    [["<s>", "M:4/4", "K:major", "2", "</s>"], /unexpected token "2"/],
  ])("refuses %j", (tokens, message) => {
    expect(() => tokensToTune(tokens)).toThrow(TokenError);
    expect(() => tokensToTune(tokens)).toThrow(message);
  });
});

describe("transposition", () => {
  const tonics: Tonic[] = ["C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B"].map(
    (name) => parseKey(name).tonic,
  );

  it("is exact there and back for every pair of tonics", () => {
    const tune = fixtureTunes[1] as Tune;
    for (const a of tonics) {
      const moved = transposeTo(tune, a);
      for (const b of tonics) expect(transposeTo(transposeTo(moved, b), a)).toEqual(moved);
    }
  });

  it("never moves more than a tritone and is antisymmetric", () => {
    for (const a of tonics) {
      for (const b of tonics) {
        const there = intervalBetween(a, b);
        expect(Math.abs(there.semitones)).toBeLessThanOrEqual(6);
        expect(intervalBetween(b, a)).toEqual({ steps: -there.steps || 0, semitones: -there.semitones || 0 });
      }
    }
  });
});

describe("vocabulary", () => {
  const vocab = Vocabulary.build(fixtureTunes.map(tuneToTokens));

  it("starts with the special tokens and encodes and decodes", () => {
    expect(vocab.tokens.slice(0, 3)).toEqual(["<pad>", "<s>", "</s>"]);
    const tokens = tuneToTokens(fixtureTunes[0] as Tune);
    expect(vocab.decode(vocab.encode(tokens))).toEqual(tokens);
  });

  it("survives JSON and keeps its fingerprint", () => {
    const again = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab)));
    expect(again.tokens).toEqual(vocab.tokens);
    expect(again.fingerprint()).toBe(vocab.fingerprint());
  });

  it("names unknown symbols and refuses foreign files", () => {
    expect(() => vocab.encode(["<s>", "M:5/4", "^^c'''"])).toThrow(/M:5\/4 \^\^c'''/);
    expect(() => vocab.decode([9999])).toThrow(VocabularyError);
    expect(() => Vocabulary.fromJSON({ tokens: ["a"] })).toThrow(/not a tunesmith-vocab\/1/);
  });
});
