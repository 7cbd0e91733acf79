import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import {
  endsOnTonic,
  type Histogram,
  histogramOverlap,
  intervalHistogram,
  noteLengthHistogram,
  pitchClassHistogram,
} from "../../src/music/features.js";
import { parseKey } from "../../src/music/key.js";
import { rat } from "../../src/music/rational.js";
import { transposeTo } from "../../src/music/transpose.js";
import type { Tune } from "../../src/music/tune.js";
import { els } from "../helpers/score.js";

const tune = (text: string, key = "D"): Tune => ({
  title: "t",
  meter: { num: 4, den: 4 },
  unitLength: rat(1, 8),
  key: parseKey(key),
  elements: els(text),
});

/** Non-zero bins as label → count, so expectations read like the histogram. */
const nonZero = (h: Histogram): Record<string, number> =>
  Object.fromEntries(
    h.labels.flatMap((label, i) => ((h.counts[i] ?? 0) > 0 ? [[label, h.counts[i] ?? 0]] : [])),
  );

describe("pitch class histogram", () => {
  it("counts each note's degree above the key's tonic", () => {
    const h = pitchClassHistogram([tune("D4 F#4 A4 | D5 E4:2 A4 |")]);
    expect(h.counts).toHaveLength(12);
    expect(nonZero(h)).toEqual({ "1": 2, "2": 1, "3": 1, "5": 2 });
  });

  it("pools tunes, each relative to its own key", () => {
    const inD = tune("D4 A4", "D");
    const inG = tune("G4 D5", "G");
    expect(nonZero(pitchClassHistogram([inD, inG]))).toEqual({ "1": 2, "5": 2 });
  });

  it("gives a tune and its transposition the same histogram", () => {
    const reel = parseAbc(
      "X:1\nT:t\nM:4/4\nL:1/8\nK:ADor\nEA (3AAA eAcA|G2BG dGBG|=f2^f2 g2ab|a-aga egdB|\n",
    );
    const moved = transposeTo(reel, { step: 1, alter: 0 }); // to D dorian
    expect(moved.key.tonic).not.toEqual(reel.key.tonic);
    expect(pitchClassHistogram([moved]).counts).toEqual(pitchClassHistogram([reel]).counts);
    // …while the absolute pitches did change (the test would be empty otherwise).
    expect(nonZero(pitchClassHistogram([{ ...moved, key: reel.key }]))).not.toEqual(
      nonZero(pitchClassHistogram([reel])),
    );
  });

  it("counts a chain of tied notes once", () => {
    expect(nonZero(pitchClassHistogram([tune("A4- A4- A4 B4")]))).toEqual({ "5": 1, "6": 1 });
  });
});

describe("interval histogram", () => {
  it("counts semitone steps between consecutive notes, across rests, with overflow bins", () => {
    const h = intervalHistogram([tune("D4 F#4 A4 z D5 | C#5 C#3 D3 F4 F4 |")]);
    expect(h.counts).toHaveLength(27);
    expect([h.labels[0], h.labels[13], h.labels[26]]).toEqual(["<-12", "0", ">+12"]);
    expect(nonZero(h)).toEqual({ "+4": 1, "+3": 1, "+5": 1, "-1": 1, "<-12": 1, "+1": 1, ">+12": 1, "0": 1 });
  });

  it("does not join one tune's last note to the next tune's first, nor count ties as unisons", () => {
    const h = intervalHistogram([tune("D4 E4- E4 G4"), tune("A5 B5"), tune("G4")]);
    expect(nonZero(h)).toEqual({ "+2": 2, "+3": 1 });
  });
});

describe("note length histogram", () => {
  it("bins sounding lengths in whole notes, triplet eighths included", () => {
    const h = noteLengthHistogram([
      tune("A4 A4:2 A4:3 A4:4 | A4:6 A4:8 A4:1/2 (3 A4:2/3 A4:2/3 A4:2/3 A4:5 z:2"),
    ]);
    expect(nonZero(h)).toEqual({
      "1/8": 1,
      "1/4": 1,
      "3/8": 1,
      "1/2": 1,
      "3/4": 1,
      "1": 1,
      "1/16": 1,
      "1/12": 3,
      other: 1,
    });
  });

  it("measures a tied note by its whole length", () => {
    expect(nonZero(noteLengthHistogram([tune("A4:2- A4 B4")]))).toEqual({ "3/8": 1, "1/8": 1 });
  });
});

describe("histogram overlap", () => {
  const h = (...counts: number[]): Histogram => ({ labels: counts.map(String), counts });

  it("is 1 for the same shape, whatever the totals", () => {
    expect(histogramOverlap(h(1, 2, 3), h(1, 2, 3))).toBeCloseTo(1, 12);
    expect(histogramOverlap(h(2, 4, 0), h(1, 2, 0))).toBeCloseTo(1, 12);
    const real = pitchClassHistogram([tune("D4 F#4 A4 D5 E4")]);
    expect(histogramOverlap(real, real)).toBeCloseTo(1, 12);
  });

  it("is 0 for disjoint histograms and the shared area in between", () => {
    expect(histogramOverlap(h(1, 1, 0, 0), h(0, 0, 3, 1))).toBe(0);
    expect(histogramOverlap(h(1, 1, 0), h(0, 1, 1))).toBeCloseTo(0.5, 12);
    expect(histogramOverlap(h(3, 1), h(1, 3))).toBeCloseTo(0.5, 12);
  });

  it("handles empty histograms and refuses mismatched bins", () => {
    expect(histogramOverlap(h(0, 0), h(0, 0))).toBe(1);
    expect(histogramOverlap(h(0, 0), h(1, 0))).toBe(0);
    expect(histogramOverlap(pitchClassHistogram([]), pitchClassHistogram([tune("D4")]))).toBe(0);
    expect(() => histogramOverlap(h(1, 2), h(1, 2, 3))).toThrow(RangeError);
  });
});

describe("ends on tonic", () => {
  it("looks at the last sounding note, in any octave", () => {
    expect(endsOnTonic(tune("A4 F#4 D5"))).toBe(true);
    expect(endsOnTonic(tune("A4 F#4 D3 z:2"))).toBe(true);
    expect(endsOnTonic(tune("D4 F#4 A4"))).toBe(false);
    expect(endsOnTonic(tune("E4 C5 A4", "Am"))).toBe(true);
    expect(endsOnTonic(tune("F#4 Bb4", "Bb"))).toBe(true);
    expect(endsOnTonic(tune("z:4"))).toBe(false);
  });

  it("reads tunes parsed from ABC", () => {
    expect(endsOnTonic(parseAbc("X:1\nT:t\nM:6/8\nL:1/8\nK:G\nGAB AGE|D3 G3|]\n"))).toBe(true);
    expect(endsOnTonic(parseAbc("X:1\nT:t\nM:6/8\nL:1/8\nK:G\nGAB AGE|D3 A3|]\n"))).toBe(false);
  });
});
