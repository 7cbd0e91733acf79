import type { Meter } from "../music/tune.js";
import type { TuneType } from "../music/tune-type.js";

/**
 * Dance forms → meter, tune type, tempo (in beats of the meter) and usual form. The model is
 * conditioned on the meter, the mode and the tune type (`R:reel`), so a polka and a march
 * differ in more than tempo wherever the corpus has enough tunes of the type (30 or more in
 * the training split); the styles it lacks (march, waltz, mazurka: 0, 13 and 0 tunes) are
 * composed from the meter alone. Slides are in 6/8, as every slide of the corpus but one is.
 */
export interface Style {
  readonly meter: Meter;
  /** Beats per minute, counting the meter's beat (beatLength): a dotted quarter in 6/8, a half in 2/2. */
  readonly bpm: number;
  readonly description: string;
  /** The type token the model is conditioned on; absent where the corpus has too few tunes. */
  readonly rhythm?: TuneType;
  /**
   * The forms tunes of the type have in the corpus's training split (parts of `partBars`
   * bars, counted by `npm run evaluate`'s form analysis), with how many tunes have each: a
   * request that names no form gets one of them in these proportions.
   */
  readonly forms: readonly (readonly [form: string, tunes: number])[];
  readonly partBars: number;
}

export const STYLES = {
  reel: {
    rhythm: "reel",
    meter: { num: 2, den: 2 },
    bpm: 100,
    description: "2/2, brisk",
    forms: [
      ["AB", 207],
      ["AABB", 169],
      ["ABC", 14],
    ],
    partBars: 8,
  },
  jig: {
    rhythm: "jig",
    meter: { num: 6, den: 8 },
    bpm: 112,
    description: "6/8",
    forms: [
      ["AABB", 363],
      ["AABBCC", 46],
      ["AABBCCDD", 18],
      ["AB", 8],
    ],
    partBars: 8,
  },
  "slip jig": {
    rhythm: "slip jig",
    meter: { num: 9, den: 8 },
    bpm: 116,
    description: "9/8",
    forms: [
      ["AABB", 26],
      ["AABBCC", 4],
    ],
    partBars: 4,
  },
  slide: {
    rhythm: "slide",
    meter: { num: 6, den: 8 },
    bpm: 126,
    description: "6/8, lilting",
    forms: [
      ["AABB", 20],
      ["AABBCC", 2],
      ["AABBCCDD", 2],
    ],
    partBars: 8,
  },
  hornpipe: {
    rhythm: "hornpipe",
    meter: { num: 2, den: 2 },
    bpm: 76,
    description: "2/2 as most hornpipes of the corpus, steadier than a reel",
    forms: [
      ["AABB", 267],
      ["AABBCC", 16],
      ["AB", 7],
      ["AABBCCDD", 6],
    ],
    partBars: 8,
  },
  polka: {
    rhythm: "polka",
    meter: { num: 2, den: 4 },
    bpm: 140,
    description: "2/4, bouncy",
    forms: [
      ["AABB", 31],
      ["AABBCC", 2],
      ["AB", 1],
    ],
    partBars: 8,
  },
  march: { meter: { num: 2, den: 4 }, bpm: 108, description: "2/4", forms: [["AABB", 1]], partBars: 8 },
  waltz: {
    meter: { num: 3, den: 4 },
    bpm: 132,
    description: "3/4",
    forms: [
      ["AABB", 4],
      ["AB", 1],
    ],
    partBars: 16,
  },
  mazurka: { meter: { num: 3, den: 4 }, bpm: 120, description: "3/4", forms: [["AABB", 1]], partBars: 8 },
  air: {
    rhythm: "air",
    meter: { num: 3, den: 4 },
    bpm: 66,
    description: "3/4, slow",
    forms: [
      ["AB", 233],
      ["AABB", 13],
    ],
    partBars: 8,
  },
} as const satisfies Record<string, Style>;

export type StyleName = keyof typeof STYLES;
export const STYLE_NAMES = Object.keys(STYLES) as StyleName[];
