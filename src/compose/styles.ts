import type { Meter } from "../music/tune.js";

/**
 * Dance forms → meter and a playing tempo (in beats of the meter). The model is conditioned on the meter token
 * only, so two styles in the same meter differ in tempo alone; meters follow O'Neill's
 * usage (reels in cut time, hornpipes in common time here to set them apart).
 */
export interface Style {
  readonly meter: Meter;
  /** Beats per minute, counting the meter's beat (beatLength): a dotted quarter in 6/8, a half in 2/2. */
  readonly bpm: number;
  readonly description: string;
}

export const STYLES = {
  reel: { meter: { num: 2, den: 2 }, bpm: 100, description: "2/2, brisk" },
  jig: { meter: { num: 6, den: 8 }, bpm: 112, description: "6/8" },
  "slip jig": { meter: { num: 9, den: 8 }, bpm: 116, description: "9/8" },
  slide: { meter: { num: 12, den: 8 }, bpm: 126, description: "12/8" },
  hornpipe: { meter: { num: 4, den: 4 }, bpm: 144, description: "4/4, steady" },
  polka: { meter: { num: 2, den: 4 }, bpm: 140, description: "2/4, bouncy" },
  march: { meter: { num: 2, den: 4 }, bpm: 108, description: "2/4" },
  waltz: { meter: { num: 3, den: 4 }, bpm: 132, description: "3/4" },
  mazurka: { meter: { num: 3, den: 4 }, bpm: 120, description: "3/4" },
  air: { meter: { num: 3, den: 4 }, bpm: 66, description: "3/4, slow" },
} as const satisfies Record<string, Style>;

export type StyleName = keyof typeof STYLES;
export const STYLE_NAMES = Object.keys(STYLES) as StyleName[];
