/**
 * Spelled pitches. We keep the letter (step) and the alteration separately so that
 * transposition and ABC output can spell notes the way a musician would (F# in D major,
 * not Gb), which a bare MIDI number cannot do.
 */

/** 0 = C, 1 = D, … 6 = B */
export type Step = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface Pitch {
  readonly step: Step;
  /** Scientific octave: middle C (ABC `C`) is octave 4, ABC `c` is octave 5. */
  readonly octave: number;
  /** Sounding alteration in semitones: -2 double flat … +2 double sharp. */
  readonly alter: number;
}

export const STEP_LETTERS = ["C", "D", "E", "F", "G", "A", "B"] as const;
export const STEP_SEMITONES = [0, 2, 4, 5, 7, 9, 11] as const;

export function stepOf(letter: string): Step {
  const i = STEP_LETTERS.indexOf(letter.toUpperCase() as (typeof STEP_LETTERS)[number]);
  if (i < 0) throw new RangeError(`not a note letter: ${letter}`);
  return i as Step;
}

export function midiOf(p: Pitch): number {
  return 12 * (p.octave + 1) + STEP_SEMITONES[p.step] + p.alter;
}

/** Diatonic index (7 per octave), handy for interval arithmetic on letters. */
export function diatonicIndex(p: Pick<Pitch, "step" | "octave">): number {
  return p.octave * 7 + p.step;
}

/** A spelled interval: how many letters and how many semitones to move. */
export interface Interval {
  readonly steps: number;
  readonly semitones: number;
}

export function transposePitch(p: Pitch, iv: Interval): Pitch {
  const di = diatonicIndex(p) + iv.steps;
  const octave = Math.floor(di / 7);
  const step = (di - octave * 7) as Step;
  const natural = 12 * (octave + 1) + STEP_SEMITONES[step];
  let moved: Pitch = { step, octave, alter: midiOf(p) + iv.semitones - natural };
  // A double flat moved by a sharp interval would need a triple flat, which neither ABC
  // nor the model's tokens can write: take the neighbouring letter instead.
  while (Math.abs(moved.alter) > 2) moved = respell(moved, Math.sign(moved.alter));
  return moved;
}

/** The same sound one letter up (direction 1) or down (-1). */
function respell(p: Pitch, direction: number): Pitch {
  const di = diatonicIndex(p) + direction;
  const octave = Math.floor(di / 7);
  const step = (di - octave * 7) as Step;
  return { step, octave, alter: midiOf(p) - 12 * (octave + 1) - STEP_SEMITONES[step] };
}

export function pitchName(p: Pitch): string {
  const acc = p.alter > 0 ? "#".repeat(p.alter) : "b".repeat(-p.alter);
  return `${STEP_LETTERS[p.step]}${acc}${p.octave}`;
}

/** 0–11 for any MIDI number (or semitone count), negative ones included. */
export function pitchClass(semitones: number): number {
  return ((semitones % 12) + 12) % 12;
}
