import { readFileSync } from "node:fs";
import abcjs from "abcjs";
import { describe, expect, it } from "vitest";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { parseKey } from "../../src/music/key.js";
import { midiOf } from "../../src/music/pitch.js";
import { tokensToTune, tuneToTokens } from "../../src/music/tokens.js";
import type { Tune } from "../../src/music/tune.js";

const fixtureTunes = parseAbcFile(
  readFileSync(new URL("../fixtures/tunes.abc", import.meta.url), "utf8"),
).flatMap((r) => (r.result.ok ? [r.result.tune] : []));

const bodyOf = (abc: string) =>
  abc
    .split("\n")
    .filter((l) => !/^[A-Z]:/.test(l))
    .join("\n")
    .trim();
const abcjsWarnings = (abc: string) => abcjs.parseOnly(abc)[0]?.warnings ?? [];
const sounding = (t: Tune) => t.elements.flatMap((e) => (e.kind === "note" ? [midiOf(e.pitch)] : []));

describe("ABC writer", () => {
  it.each(fixtureTunes.map((t) => [t.title, t]))(
    "%s reads back as the same tune, and abcjs accepts it",
    (_, t) => {
      const tune = t as Tune;
      const abc = tuneToAbc(tune);
      expect(parseAbc(abc)).toEqual(tune);
      expect(abcjsWarnings(abc)).toEqual([]);
    },
  );

  it("writes the header and readable bars with beats spaced and broken rhythm", () => {
    const t = parseAbc("X:1\nT:Demo\nM:6/8\nL:1/8\nQ:3/8=100\nK:Em\n|:B|E3/2F/G A2B|c>BA G3:|\n");
    expect(tuneToAbc(t, { x: 4 })).toBe(
      "X:4\nT:Demo\nM:6/8\nL:1/8\nQ:3/8=100\nK:Em\n|: B | E>FG A2B | c>BA G3 :|\n",
    );
  });

  it("spells accidentals against the key and repeats them within the bar", () => {
    // In D major: F#, then F natural, then F# again in the same bar must say so.
    const t = parseAbc("X:1\nM:4/4\nL:1/8\nK:D\nF=FF^F f=f^fF|F2 z6|]\n");
    const abc = tuneToAbc(t);
    expect(bodyOf(abc)).toBe("F=F =F^F ^f=f ^f^F | F2 z6 |]");
    expect(sounding(parseAbc(abc))).toEqual(sounding(t));
  });

  it("transposes to the requested tonic and spells it in the new key", () => {
    const inC = tokensToTune("<s> M:4/4 K:major C D E F G A B c |] </s>".split(" "), { title: "Scale" });
    const inEb = tuneToAbc(inC, { tonic: parseKey("Eb").tonic });
    expect(inEb).toContain("K:Eb\n");
    expect(bodyOf(inEb)).toBe("EF GA Bc de |]");
    const inFs = tuneToAbc(inC, { tonic: parseKey("F#").tonic });
    expect(inFs).toContain("K:F#\n");
    expect(bodyOf(inFs)).toBe("FG AB cd ef |]");
    expect(sounding(parseAbc(inFs))).toEqual([66, 68, 70, 71, 73, 75, 77, 78]);
  });

  it("keeps modal keys, endings, tuplets and ties", () => {
    const t = parseAbc("X:1\nT:Modal\nM:2/4\nL:1/8\nK:A Mixolydian\n|:(3ABc d-d|1 e2 =g2:|2 e4|]\n");
    const abc = tuneToAbc(t);
    expect(abc).toContain("K:AMix\n");
    expect(bodyOf(abc)).toBe("|: (3ABc d-d |[1 e2 g2 :|[2 e4 |]");
    expect(parseAbc(abc)).toEqual(t);
    expect(abcjsWarnings(abc)).toEqual([]);
  });

  it("writes generated tunes that abcjs reads without warnings in every key", () => {
    const tune = tokensToTune(tuneToTokens(fixtureTunes[0] as Tune));
    for (const key of ["C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb", "Ab", "Db"]) {
      const abc = tuneToAbc(tune, { tonic: parseKey(key).tonic });
      expect(abcjsWarnings(abc), key).toEqual([]);
      expect(tuneToTokens(parseAbc(abc))).toEqual(tuneToTokens(tune));
    }
  });
});
