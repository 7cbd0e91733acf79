import { type Pitch, STEP_LETTERS, type Step } from "./pitch.js";
import type { Rational } from "./rational.js";

/** Shared spelling of ABC symbols, used by the ABC writer and by model tokens. */

/** `C,` `C` `c` `c'` — octave 4 is upper case, 5 lower case. */
export function abcLetter(step: Step, octave: number): string {
  const letter = STEP_LETTERS[step];
  if (octave <= 4) return letter + ",".repeat(4 - octave);
  return letter.toLowerCase() + "'".repeat(octave - 5);
}

export function abcAccidental(alter: number): string {
  if (alter > 0) return "^".repeat(alter);
  if (alter < 0) return "_".repeat(-alter);
  return "=";
}

/** A pitch with its accidental always spelled out (no `=` for naturals). */
export function abcPitch(p: Pitch): string {
  return (p.alter === 0 ? "" : abcAccidental(p.alter)) + abcLetter(p.step, p.octave);
}

/** Length multiplier as ABC writes it: "" for 1, "2", "/2", "3/2". */
export function abcLength(r: Rational): string {
  if (r.n === r.d) return "";
  if (r.d === 1) return String(r.n);
  return r.n === 1 ? `/${r.d}` : `${r.n}/${r.d}`;
}

/**
 * ABC 2.1's q for `(p` when not written. For 5, 7 and 9 it depends on the meter
 * (3 in compound time); we always write those out in full, so 2 here only matters
 * for reading our own tokens.
 */
export function defaultTupletQ(p: number, compound = false): number {
  if (p === 2 || p === 4 || p === 8) return 3;
  if (p === 3 || p === 6) return 2;
  return compound ? 3 : 2;
}

/** `(3` when p, q and r are the defaults, `(p:q:r` otherwise. */
export function abcTuplet(p: number, q: number, r: number): string {
  const usual = p !== 5 && p !== 7 && p !== 9 && q === defaultTupletQ(p) && r === p;
  return usual ? `(${p}` : `(${p}:${q}:${r}`;
}
