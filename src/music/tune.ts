import type { ChordSymbol } from "./chord.js";
import type { Key } from "./key.js";
import type { Pitch } from "./pitch.js";
import { type Rational, rat } from "./rational.js";
import type { TuneType } from "./tune-type.js";

/**
 * The symbolic tune every part of Tunesmith speaks: the ABC and MIDI readers produce it,
 * the tokenizer, ABC writer and MIDI writer consume it.
 *
 * Music is a flat list of elements in written order (bar lines, repeats, endings and
 * meter changes included), as in ABC itself. Durations are exact fractions of a whole note and are
 * the *sounding* durations: notes inside a tuplet already carry the tuplet's scaling.
 */
export interface Tune {
  readonly title: string;
  readonly meter: Meter;
  /** ABC `L:`; presentation only (durations are absolute). */
  readonly unitLength: Rational;
  readonly key: Key;
  readonly tempo?: Tempo;
  /** ABC `R:`: the dance or song form (reel, jig…), when known. */
  readonly rhythm?: TuneType;
  readonly elements: readonly TuneElement[];
}

export interface Meter {
  readonly num: number;
  readonly den: number;
}

export interface Tempo {
  /** Beats per minute of `beat`. */
  readonly bpm: number;
  readonly beat: Rational;
}

export interface NoteElement {
  readonly kind: "note";
  readonly pitch: Pitch;
  readonly duration: Rational;
  /** Tied to the next note (same pitch). */
  readonly tie?: boolean;
  /** Chord symbol sounding from this note on (ABC `"D7"A`), until the next one. */
  readonly chord?: ChordSymbol;
}

export interface RestElement {
  readonly kind: "rest";
  readonly duration: Rational;
  /** Chord symbol sounding from this rest on. */
  readonly chord?: ChordSymbol;
}

/**
 * ABC `(p:q:r`: the next r notes/rests are played p in the time of q. Their
 * durations in the tune are already scaled by q/p.
 */
export interface TupletElement {
  readonly kind: "tuplet";
  readonly p: number;
  readonly q: number;
  readonly r: number;
}

export const BAR_TYPES = ["|", "||", "|]", "|:", ":|", "::"] as const;
export type BarType = (typeof BAR_TYPES)[number];

export interface BarElement {
  readonly kind: "bar";
  readonly bar: BarType;
}

/** Start of a volta (`[1`, `[2`, `[1,2`). */
export interface EndingElement {
  readonly kind: "ending";
  readonly numbers: readonly number[];
}

/**
 * A meter change (an `M:` line or `[M:…]` in the body): bars from here on are measured
 * against `meter`. `Tune.meter` is the meter the tune starts in.
 */
export interface MeterElement {
  readonly kind: "meter";
  readonly meter: Meter;
}

export type TuneElement =
  | NoteElement
  | RestElement
  | TupletElement
  | BarElement
  | EndingElement
  | MeterElement;

export const DEFAULT_UNIT = rat(1, 8);

/** "6/8", as musicians and ABC write it. */
export function meterName(m: Meter): string {
  return `${m.num}/${m.den}`;
}

export function meterLength(m: Meter): Rational {
  return rat(m.num, m.den);
}

export function isCompound(m: Meter): boolean {
  return m.den === 8 && m.num % 3 === 0 && m.num > 3;
}

/** The beat notes are grouped by: a dotted quarter in compound time, else the denominator. */
export function beatLength(m: Meter): Rational {
  return isCompound(m) ? rat(3, m.den) : rat(1, m.den);
}

export function notes(tune: Tune): NoteElement[] {
  return tune.elements.filter((e): e is NoteElement => e.kind === "note");
}

/** The meter in force at the end of the tune: the last change, or the one it starts in. */
export function lastMeter(tune: Tune): Meter {
  return splitAtLastMeter(tune).tail.meter;
}

export function hasMeterChanges(tune: Tune): boolean {
  return tune.elements.some((e) => e.kind === "meter");
}

/**
 * The tune from its last meter change on, as a tune in that meter (`tail`), and what came
 * before it, up to and including that change (`head`, empty without changes). The model's
 * tokens have no meter change, so a tune that changes meter is primed or trained from its tail.
 */
export function splitAtLastMeter(tune: Tune): { head: readonly TuneElement[]; tail: Tune } {
  let last = -1;
  tune.elements.forEach((e, i) => {
    if (e.kind === "meter") last = i;
  });
  if (last < 0) return { head: [], tail: tune };
  const change = tune.elements[last] as MeterElement;
  return {
    head: tune.elements.slice(0, last + 1),
    tail: { ...tune, meter: change.meter, elements: tune.elements.slice(last + 1) },
  };
}

/** Bar lines after which a new section starts (repeats loop back to the latest one). */
export function isSectionBoundary(bar: BarType): boolean {
  return bar !== "|";
}

/** Whether any note or rest carries a chord symbol. */
export function hasChords(tune: Tune): boolean {
  return tune.elements.some((e) => (e.kind === "note" || e.kind === "rest") && e.chord !== undefined);
}

/** The tune without its chord symbols. */
export function withoutChords(tune: Tune): Tune {
  return {
    ...tune,
    elements: tune.elements.map((e) => {
      if ((e.kind !== "note" && e.kind !== "rest") || e.chord === undefined) return e;
      const { chord: _, ...rest } = e;
      return rest;
    }),
  };
}
