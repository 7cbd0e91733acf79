import { type Interval, STEP_LETTERS, STEP_SEMITONES, type Step, stepOf } from "./pitch.js";

export const MODES = ["major", "minor", "dorian", "mixolydian", "phrygian", "lydian", "locrian"] as const;
export type Mode = (typeof MODES)[number];

/** Semitones of each scale degree above the tonic. */
const MODE_SCALES: Record<Mode, readonly number[]> = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
  lydian: [0, 2, 4, 6, 7, 9, 11],
  locrian: [0, 1, 3, 5, 6, 8, 10],
};

export function modeScale(mode: Mode): readonly number[] {
  return MODE_SCALES[mode];
}

export interface Tonic {
  readonly step: Step;
  /** -1 flat, 0 natural, +1 sharp */
  readonly alter: number;
}

export interface Key {
  readonly tonic: Tonic;
  readonly mode: Mode;
}

export const C_MAJOR: Key = { tonic: { step: 0, alter: 0 }, mode: "major" };

/** Alteration of each step (C..B) implied by the key signature. */
export function keySignature(key: Key): readonly number[] {
  const sig = [0, 0, 0, 0, 0, 0, 0];
  const tonicSemis = STEP_SEMITONES[key.tonic.step] + key.tonic.alter;
  MODE_SCALES[key.mode].forEach((interval, degree) => {
    const step = (key.tonic.step + degree) % 7;
    let alter = (tonicSemis + interval - STEP_SEMITONES[step as Step]) % 12;
    if (alter > 6) alter -= 12;
    if (alter < -6) alter += 12;
    sig[step] = alter;
  });
  return sig;
}

/** Sharps (positive) or flats (negative) in the key signature. */
export function signatureFifths(key: Key): number {
  return keySignature(key).reduce((a, b) => a + b, 0);
}

const MODE_ALIASES: Record<string, Mode> = {
  "": "major",
  maj: "major",
  major: "major",
  ion: "major",
  ionian: "major",
  m: "minor",
  min: "minor",
  minor: "minor",
  aeo: "minor",
  aeolian: "minor",
  dor: "dorian",
  dorian: "dorian",
  mix: "mixolydian",
  mixolydian: "mixolydian",
  phr: "phrygian",
  phrygian: "phrygian",
  lyd: "lydian",
  lydian: "lydian",
  loc: "locrian",
  locrian: "locrian",
};

export class KeyParseError extends Error {}

/**
 * Parses the value of an ABC `K:` field or a user's key ("D", "Gm", "D Major",
 * "A Dorian", "Amix", "F#m", "Bb"). Clef and octave modifiers are ignored; extra
 * accidentals ("D ^g") are refused: a key is a tonic and a mode (the ABC reader applies
 * them to the notes, see abc-fields.ts).
 */
export function parseKey(text: string): Key {
  const cleaned = text
    .replace(/%.*$/, "")
    .replace(/\b(clef|octave|transpose|middle|stafflines|m)\s*=\s*\S+/gi, "")
    .replace(/\b(treble|bass|alto|tenor|perc)\b/gi, "")
    .trim();
  const m = /^([A-Ga-g])\s*([#b♯♭]?)\s*([A-Za-z]*)\s*(.*)$/.exec(cleaned);
  if (!m) throw new KeyParseError(`unrecognised key "${text.trim()}" (expected e.g. "D", "Gm", "A dorian")`);
  const [, letter = "C", accidental = "", modeWord = "", rest = ""] = m;
  const mode = MODE_ALIASES[modeWord.toLowerCase()];
  if (!mode) {
    throw new KeyParseError(
      `unknown mode "${modeWord}" in key "${text.trim()}" (known: major, minor, dorian, mixolydian, phrygian, lydian, locrian)`,
    );
  }
  if (rest.trim() !== "") {
    throw new KeyParseError(`unsupported key modifiers "${rest.trim()}" in key "${text.trim()}"`);
  }
  const alter =
    accidental === "#" || accidental === "♯" ? 1 : accidental === "b" || accidental === "♭" ? -1 : 0;
  return { tonic: { step: stepOf(letter), alter }, mode };
}

export function tonicName(t: Tonic): string {
  return STEP_LETTERS[t.step] + (t.alter > 0 ? "#".repeat(t.alter) : "b".repeat(-t.alter));
}

/** ABC spelling of a key: "D", "Em", "ADor", "GMix". */
export function abcKeyName(key: Key): string {
  const suffix: Record<Mode, string> = {
    major: "",
    minor: "m",
    dorian: "Dor",
    mixolydian: "Mix",
    phrygian: "Phr",
    lydian: "Lyd",
    locrian: "Loc",
  };
  return tonicName(key.tonic) + suffix[key.mode];
}

/**
 * The spelled interval that moves `from` onto `to`, choosing the nearer direction
 * (at most a tritone) so transposed tunes stay in a playable register. Antisymmetric,
 * so transposing there and back is exact.
 */
export function intervalBetween(from: Tonic, to: Tonic): Interval {
  const up = (to.step - from.step + 7) % 7;
  const span = STEP_SEMITONES[to.step] - STEP_SEMITONES[from.step] + (to.step < from.step ? 12 : 0);
  const upward: Interval = { steps: up, semitones: span + to.alter - from.alter };
  if (up === 0) return upward;
  const downward: Interval = { steps: up - 7, semitones: upward.semitones - 12 };
  const byDistance = Math.abs(downward.semitones) - Math.abs(upward.semitones);
  const byLetters = Math.abs(downward.steps) - Math.abs(upward.steps);
  return byDistance < 0 || (byDistance === 0 && byLetters < 0) ? downward : upward;
}
