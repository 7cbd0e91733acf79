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
  /** The form most tunes of the style have in the corpus, and bars per part. */
  readonly form: string;
  readonly partBars: number;
}

export const STYLES = {
  reel: {
    rhythm: "reel",
    meter: { num: 2, den: 2 },
    bpm: 100,
    description: "2/2, brisk",
    form: "AABB",
    partBars: 8,
  },
  jig: { rhythm: "jig", meter: { num: 6, den: 8 }, bpm: 112, description: "6/8", form: "AABB", partBars: 8 },
  "slip jig": {
    rhythm: "slip jig",
    meter: { num: 9, den: 8 },
    bpm: 116,
    description: "9/8",
    form: "AABB",
    partBars: 8,
  },
  slide: {
    rhythm: "slide",
    meter: { num: 6, den: 8 },
    bpm: 126,
    description: "6/8, lilting",
    form: "AABB",
    partBars: 8,
  },
  hornpipe: {
    rhythm: "hornpipe",
    meter: { num: 2, den: 2 },
    bpm: 76,
    description: "2/2 as most hornpipes of the corpus, steadier than a reel",
    form: "AABB",
    partBars: 8,
  },
  polka: {
    rhythm: "polka",
    meter: { num: 2, den: 4 },
    bpm: 140,
    description: "2/4, bouncy",
    form: "AABB",
    partBars: 8,
  },
  march: { meter: { num: 2, den: 4 }, bpm: 108, description: "2/4", form: "AABB", partBars: 8 },
  waltz: { meter: { num: 3, den: 4 }, bpm: 132, description: "3/4", form: "AABB", partBars: 8 },
  mazurka: { meter: { num: 3, den: 4 }, bpm: 120, description: "3/4", form: "AABB", partBars: 8 },
  air: {
    rhythm: "air",
    meter: { num: 3, den: 4 },
    bpm: 66,
    description: "3/4, slow",
    form: "AB",
    partBars: 8,
  },
} as const satisfies Record<string, Style>;

export type StyleName = keyof typeof STYLES;
export const STYLE_NAMES = Object.keys(STYLES) as StyleName[];
