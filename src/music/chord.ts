import { type Tonic, tonicName } from "./key.js";
import { type Interval, STEP_SEMITONES, type Step, stepOf } from "./pitch.js";

/**
 * Chord symbols as guitarists read them ("G", "D7", "Em", "F#dim", "D/F#"): a spelled
 * root, a quality and an optional bass note. ABC writes them in quotes before a note.
 */
export const CHORD_QUALITIES = ["maj", "min", "7", "m7", "maj7", "6", "m6", "dim", "aug", "sus4"] as const;
export type ChordQuality = (typeof CHORD_QUALITIES)[number];

export interface ChordSymbol {
  readonly root: Tonic;
  readonly quality: ChordQuality;
  /** Bass note of an inversion or slash chord ("D/F#"). */
  readonly bass?: Tonic;
}

/** Semitones of each chord tone above the root. */
export const CHORD_TONES: Record<ChordQuality, readonly number[]> = {
  maj: [0, 4, 7],
  min: [0, 3, 7],
  "7": [0, 4, 7, 10],
  m7: [0, 3, 7, 10],
  maj7: [0, 4, 7, 11],
  "6": [0, 4, 7, 9],
  m6: [0, 3, 7, 9],
  dim: [0, 3, 6],
  aug: [0, 4, 8],
  sus4: [0, 5, 7],
};

const SUFFIX: Record<ChordQuality, string> = {
  maj: "",
  min: "m",
  "7": "7",
  m7: "m7",
  maj7: "maj7",
  "6": "6",
  m6: "m6",
  dim: "dim",
  aug: "aug",
  sus4: "sus4",
};

/** Spellings of qualities found in the wild; the Nottingham collection writes `d` and `a`. */
const QUALITY_ALIASES: Record<string, ChordQuality> = {
  "": "maj",
  maj: "maj",
  M: "maj",
  m: "min",
  min: "min",
  mi: "min",
  "-": "min",
  "7": "7",
  dom7: "7",
  "9": "7",
  m7: "m7",
  min7: "m7",
  maj7: "maj7",
  M7: "maj7",
  "6": "6",
  m6: "m6",
  dim: "dim",
  d: "dim",
  o: "dim",
  "°": "dim",
  dim7: "dim",
  aug: "aug",
  a: "aug",
  "+": "aug",
  sus4: "sus4",
  sus: "sus4",
};

const CHORD_RE = /^([A-G])([#b♯♭]?)([a-zA-Z0-9+°-]*)(?:\/([A-Ga-g])([#b+♯♭-]?))?$/;

/**
 * Reads the text of an ABC annotation as a chord symbol; undefined when it is not one
 * (free text, a position prefix like `^` or `_`, an alternative chord in parentheses).
 */
export function parseChordSymbol(text: string): ChordSymbol | undefined {
  const m = CHORD_RE.exec(text.trim());
  if (!m) return undefined;
  const [, letter = "C", accidental = "", qualityText = "", bassLetter, bassAccidental = ""] = m;
  const quality = QUALITY_ALIASES[qualityText];
  if (!quality) return undefined;
  const root: Tonic = { step: stepOf(letter), alter: alterOf(accidental) };
  if (bassLetter === undefined) return { root, quality };
  return { root, quality, bass: { step: stepOf(bassLetter), alter: alterOf(bassAccidental) } };
}

function alterOf(sign: string): number {
  if (sign === "#" || sign === "♯" || sign === "+") return 1;
  if (sign === "b" || sign === "♭" || sign === "-") return -1;
  return 0;
}

/** "G", "D7", "Em", "F#dim", "D/F#". */
export function formatChordSymbol(chord: ChordSymbol): string {
  const bass = chord.bass ? `/${tonicName(chord.bass)}` : "";
  return `${tonicName(chord.root)}${SUFFIX[chord.quality]}${bass}`;
}

export function sameChord(a: ChordSymbol | undefined, b: ChordSymbol | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.root.step === b.root.step &&
    a.root.alter === b.root.alter &&
    a.quality === b.quality &&
    a.bass?.step === b.bass?.step &&
    a.bass?.alter === b.bass?.alter
  );
}

/** Pitch class 0..11 of a spelled note name. */
export function tonicPitchClass(t: Tonic): number {
  return (((STEP_SEMITONES[t.step] + t.alter) % 12) + 12) % 12;
}

/** Pitch classes of the chord's tones, root first. */
export function chordPitchClasses(chord: ChordSymbol): number[] {
  const root = tonicPitchClass(chord.root);
  return CHORD_TONES[chord.quality].map((s) => (root + s) % 12);
}

/** The lowest note a bass plays: the slash bass, or else the root. */
export function chordBassPitchClass(chord: ChordSymbol): number {
  return tonicPitchClass(chord.bass ?? chord.root);
}

/** Moves a chord by a spelled interval (the one transposeTo moves the notes by). */
export function transposeChord(chord: ChordSymbol, interval: Interval): ChordSymbol {
  const move = (t: Tonic): Tonic => {
    const step = ((((t.step + interval.steps) % 7) + 7) % 7) as Step;
    const natural = STEP_SEMITONES[t.step] + interval.semitones - STEP_SEMITONES[step];
    let alter = t.alter + (((natural % 12) + 18) % 12) - 6;
    // A chord root reads better as F# than as E##: beyond one accidental, take the neighbouring letter.
    let s: Step = step;
    while (Math.abs(alter) > 1) {
      const dir = Math.sign(alter);
      const next = (((s + dir) % 7) + 7) % 7;
      const gap =
        dir > 0
          ? (STEP_SEMITONES[next as Step] - STEP_SEMITONES[s] + 12) % 12
          : (STEP_SEMITONES[s] - STEP_SEMITONES[next as Step] + 12) % 12;
      alter -= dir * gap;
      s = next as Step;
    }
    return { step: s, alter };
  };
  return { ...chord, root: move(chord.root), ...(chord.bass ? { bass: move(chord.bass) } : {}) };
}
