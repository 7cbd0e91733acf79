import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { formatChordSymbol, parseChordSymbol } from "../../src/music/chord.js";
import { harmoniseAbcText } from "../../src/music/harmony/abc-text.js";
import { measureAgreement } from "../../src/music/harmony/agreement.js";
import { readAnnotatedTunes } from "../../src/music/harmony/annotated-tunes.js";
import { chordChart } from "../../src/music/harmony/chart.js";
import { harmonise } from "../../src/music/harmony/harmonise.js";
import { loadHarmonyTables } from "../../src/music/harmony/load.js";
import { trainHarmony } from "../../src/music/harmony/train.js";
import { parseKey } from "../../src/music/key.js";
import { transposeTo } from "../../src/music/transpose.js";
import { hasChords, type Tune, withoutChords } from "../../src/music/tune.js";

const FIXTURE = new URL("../fixtures/chords.abc", import.meta.url);
const fixtureText = readFileSync(FIXTURE, "utf8");
const fixtureTunes = parseAbcFile(fixtureText).map((p) => {
  if (!p.result.ok) throw p.result.error;
  return p.result.tune;
});

const chordsOf = (tune: Tune) =>
  tune.elements.flatMap((e) =>
    (e.kind === "note" || e.kind === "rest") && e.chord ? [formatChordSymbol(e.chord)] : [],
  );

describe("chord symbols", () => {
  it("reads the spellings folk collections use", () => {
    const read = (s: string) => {
      const c = parseChordSymbol(s);
      return c && formatChordSymbol(c);
    };
    expect(
      ["G", "D7", "Em", "F#m", "Bb", "Gd", "Ca", "A7/c+", "Gm/bb", "Bm7", "C6", "Dsus4"].map(read),
    ).toEqual(["G", "D7", "Em", "F#m", "Bb", "Gdim", "Caug", "A7/C#", "Gm/Bb", "Bm7", "C6", "Dsus4"]);
    for (const text of ["^Fine", "Trio", "(E7)", "", "H7", "Dx"])
      expect(parseChordSymbol(text)).toBeUndefined();
  });

  it("survive an ABC round trip and move with a transposition", () => {
    const tune = fixtureTunes[0] as Tune;
    expect(chordsOf(tune).slice(0, 5)).toEqual(["D", "G", "D", "Em", "A7"]);
    expect(parseAbc(tuneToAbc(tune)).elements).toEqual(tune.elements);
    const inE = transposeTo(tune, parseKey("E").tonic);
    expect(chordsOf(inE).slice(0, 5)).toEqual(["E", "A", "E", "F#m", "B7"]);
    expect(parseAbc(tuneToAbc(inE)).elements).toEqual(inE.elements);
  });

  it("ignore text annotations, and are dropped by withoutChords", () => {
    const tune = parseAbc('X:1\nK:G\n"^slowly"G2 "G"B2|"D7"A4|]\n');
    expect(chordsOf(tune)).toEqual(["G", "D7"]);
    expect(hasChords(withoutChords(tune))).toBe(false);
  });
});

describe("the harmoniser", () => {
  const tables = trainHarmony(fixtureTunes, { minCount: 1 });

  it("learns chords from annotated tunes and finds them again from the melody", () => {
    const report = measureAgreement(fixtureTunes, tables);
    expect(report.segments).toBeGreaterThan(100);
    expect(report.harmoniser.sameChord).toBeGreaterThan(0.8);
    expect(report.harmoniser.sameChord).toBeGreaterThan(report.diatonic.sameChord);
    expect(report.harmoniser.sameChord).toBeGreaterThan(report.tonic.sameChord);
  });

  it("keeps every note, writes a chord at each bar and ends on the tonic", () => {
    for (const tune of fixtureTunes) {
      const bare = withoutChords(tune);
      const done = harmonise(bare, tables);
      expect(withoutChords(done).elements).toEqual(bare.elements);
      const abc = tuneToAbc(done);
      const barsWithNotes = abc
        .split(/\||\n/)
        .filter((b) => /[A-Ga-g]/.test(b.replace(/"[^"]*"|^[A-Z]:.*$/g, "")));
      // Every bar but the pickups (one before each part at most) starts with a chord.
      expect(chordsOf(done).length).toBeGreaterThanOrEqual(barsWithNotes.length - 2);
      const tonic = formatChordSymbol({
        root: tune.key.tonic,
        quality: tune.key.mode === "minor" ? "min" : "maj",
      });
      expect(chordsOf(done).at(-1)).toBe(tonic);
    }
  });

  it("harmonises a whole file in place: same tunes, same order, same text but the chords", () => {
    const result = harmoniseAbcText(fixtureText, tables);
    expect(result.tunes.map((t) => t.ok && t.title)).toEqual(fixtureTunes.map((t) => t.title));
    const strip = (s: string) => s.replace(/"[^"]*"/g, "").replace(/\s+/g, " ");
    expect(strip(result.abc)).toBe(strip(fixtureText));
    const reread = parseAbcFile(result.abc);
    reread.forEach((p, i) => {
      if (!p.result.ok) throw p.result.error;
      expect(withoutChords(p.result.tune).elements).toEqual(withoutChords(fixtureTunes[i] as Tune).elements);
      expect(hasChords(p.result.tune)).toBe(true);
    });
  });

  it("keeps a tune it cannot read as it was and says why", () => {
    const text = `${fixtureText}\nX:9\nT:Broken\nK:D\nA B C (9 D|\n`;
    const result = harmoniseAbcText(text, tables);
    expect(result.tunes.at(-1)).toMatchObject({ ok: false, title: "Broken" });
    expect(result.abc).toContain("A B C (9 D|");
  });

  it("charts the chords part by part", () => {
    const chart = chordChart(fixtureTunes[1] as Tune);
    expect(chart).toHaveLength(2);
    expect(chart[0]).toBe("G | C G | Am D7 | G D | G | C G | Am D7 | G :|");
  });

  it("ships tables that load and harmonise in any key and mode", () => {
    const shipped = loadHarmonyTables();
    expect(shipped.states.length).toBeGreaterThan(10);
    const tune = parseAbc("X:1\nM:4/4\nL:1/8\nK:Ador\nA2 cA e2 cA|G2 BG d2 BG|A2 cA e2 ag|e2 dB A4|]\n");
    const done = harmonise(tune, shipped);
    expect(chordsOf(done).at(-1)).toBe("Am");
    expect(chordsOf(done)).toContain("G");
  });
});

const NOTTINGHAM = "../shared/nottingham";
describe.runIf(existsSync(NOTTINGHAM))("on the Nottingham Music Database (when present)", () => {
  it("agrees with the written chords on held-out tunes at least 65% of the time", () => {
    const collection = readAnnotatedTunes(NOTTINGHAM);
    const train = collection.tunes.filter((t) => !t.heldOut).map((t) => t.tune);
    const heldOut = collection.tunes.filter((t) => t.heldOut).map((t) => t.tune);
    expect(heldOut.length).toBeGreaterThan(50);
    const report = measureAgreement(heldOut, trainHarmony(train));
    expect(report.harmoniser.sameChord).toBeGreaterThanOrEqual(0.65);
    expect(report.harmoniser.sameChord).toBeGreaterThan(report.diatonic.sameChord + 0.05);
  });
});
