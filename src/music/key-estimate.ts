import { C_MAJOR, type Key, type Mode, modeScale, signatureFifths, type Tonic } from "./key.js";
import { midiOf, pitchClass, STEP_SEMITONES, type Step } from "./pitch.js";
import { toNumber } from "./rational.js";
import type { TuneElement } from "./tune.js";

/** The modes folk tunes actually use; the others are too rare to be worth a false positive. */
export const ESTIMATED_MODES = ["major", "minor", "dorian", "mixolydian"] as const satisfies readonly Mode[];

/**
 * Weight of each scale degree (1st..7th), after Krumhansl–Kessler's probe-tone ratings.
 * Weights belong to degrees, not pitch classes, so G major, A dorian and D mixolydian
 * (one collection of notes) get different profiles: each stresses its own tonic and fifth.
 */
const DEGREE_WEIGHTS = [6.3, 3.5, 4.8, 3.8, 5.0, 3.7, 3.0] as const;
const CHROMATIC_WEIGHT = 2.4;

/** Folk tunes nearly always end on the tonic, and often start on it. */
const FINAL_BONUS = 0.15;
const FIRST_DOWNBEAT_BONUS = 0.05;
/** Breaks near-ties toward the commoner mode. */
const MODE_PRIOR: Record<(typeof ESTIMATED_MODES)[number], number> = {
  major: 0,
  minor: -0.005,
  dorian: -0.01,
  mixolydian: -0.01,
};

export interface KeyHints {
  /** Last note of the tune. */
  readonly finalMidi?: number;
  /** First note on a downbeat. */
  readonly firstDownbeatMidi?: number;
}

/** Relative weight of each pitch class above the tonic in `mode`. */
export function modeProfile(mode: Mode): number[] {
  const profile = new Array<number>(12).fill(CHROMATIC_WEIGHT);
  modeScale(mode).forEach((semis, degree) => {
    profile[semis] = DEGREE_WEIGHTS[degree] ?? CHROMATIC_WEIGHT;
  });
  return profile;
}

/**
 * Krumhansl–Schmuckler key finding: correlates the duration-weighted pitch-class
 * histogram with each mode's profile on all 12 tonics, plus bonuses for a tonic ending or
 * start. Durations may be in any unit. Returns C major when there is nothing to go on.
 */
export function estimateKey(notes: readonly { midi: number; duration: number }[], hints: KeyHints = {}): Key {
  const histogram = new Array<number>(12).fill(0);
  for (const n of notes) {
    const pc = pitchClass(n.midi);
    histogram[pc] = (histogram[pc] ?? 0) + Math.max(0, n.duration);
  }
  if (!histogram.some((w) => w > 0)) return C_MAJOR;

  let best: { score: number; pc: number; mode: Mode } = { score: -Infinity, pc: 0, mode: "major" };
  for (const mode of ESTIMATED_MODES) {
    const profile = modeProfile(mode);
    for (let pc = 0; pc < 12; pc++) {
      const rotated = histogram.map((_, i) => histogram[pitchClass(i + pc)] ?? 0);
      let score = correlation(rotated, profile) + MODE_PRIOR[mode];
      if (hints.finalMidi !== undefined && pitchClass(hints.finalMidi) === pc) score += FINAL_BONUS;
      if (hints.firstDownbeatMidi !== undefined && pitchClass(hints.firstDownbeatMidi) === pc) {
        score += FIRST_DOWNBEAT_BONUS;
      }
      if (score > best.score) best = { score, pc, mode };
    }
  }
  return { tonic: spellTonic(best.pc, best.mode), mode: best.mode };
}

/** The key of a stretch of written music (a whole tune, a seed, a continuation), ending included. */
export function estimateElementsKey(elements: readonly TuneElement[]): Key {
  const notes = elements.flatMap((e) =>
    e.kind === "note" ? [{ midi: midiOf(e.pitch), duration: toNumber(e.duration) }] : [],
  );
  return estimateKey(notes, { finalMidi: notes.at(-1)?.midi });
}

/** Same mode and same tonic pitch class (F# and Gb are one key here). */
export function sameKey(a: Key, b: Key): boolean {
  const tonic = (k: Key) => pitchClass(STEP_SEMITONES[k.tonic.step] + k.tonic.alter);
  return a.mode === b.mode && tonic(a) === tonic(b);
}

/** The spelling with the fewest accidentals in its signature (Db major, not C#); sharps on a tie. */
export function spellTonic(pc: number, mode: Mode): Tonic {
  let best: { tonic: Tonic; cost: number } | undefined;
  for (let step = 0; step < 7; step++) {
    for (const alter of [0, 1, -1]) {
      if (pitchClass(STEP_SEMITONES[step as Step] + alter) !== pc) continue;
      const tonic: Tonic = { step: step as Step, alter };
      const fifths = signatureFifths({ tonic, mode });
      const cost = Math.abs(fifths) + (fifths < 0 ? 0.5 : 0);
      if (!best || cost < best.cost) best = { tonic, cost };
    }
  }
  return best?.tonic ?? { step: 0, alter: 0 };
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    const y = ys[i] ?? 0;
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  });
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}
