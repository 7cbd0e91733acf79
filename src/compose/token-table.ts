import { defaultTupletQ } from "../music/abc-notation.js";
import { BOS, EOS, parseLengthToken, parsePitchToken, REST, TIE, TOKEN_UNIT } from "../music/tokens.js";
import { BAR_TYPES, type BarType } from "../music/tune.js";
import type { Vocabulary } from "../music/vocabulary.js";

/**
 * What each vocabulary token means to the decoding grammar, with durations on an
 * integer grid so bar arithmetic is exact and cheap inside the sampling loop.
 *
 * The grid is the least common multiple of every duration the vocabulary can spell
 * (lengths × tuplet scales), so a triplet sixteenth is a whole number of units too.
 */
export type TokenClass =
  /** `pitch` identifies the spelled pitch, for matching ties. */
  | { readonly kind: "note"; readonly pitch: number }
  | { readonly kind: "rest" }
  | { readonly kind: "length"; readonly index: number }
  | { readonly kind: "tie" }
  | { readonly kind: "tuplet"; readonly index: number }
  | { readonly kind: "bar"; readonly bar: BarType }
  | { readonly kind: "ending"; readonly number: number }
  | { readonly kind: "end" }
  /** `<pad>`, `<s>`, meter and mode tokens, anything unusable: never sampled. */
  | { readonly kind: "never" };

export interface TupletSpec {
  readonly p: number;
  readonly q: number;
  readonly r: number;
}

export interface TokenTable {
  readonly classes: readonly TokenClass[];
  /** Grid units per whole note. */
  readonly unitsPerWhole: number;
  /** Tuplet kinds; scale 0 is "no tuplet", scale i+1 is tuplets[i]. */
  readonly tuplets: readonly TupletSpec[];
  /** lengthUnits[scale][lengthIndex]: duration of each length token; the last index is the default (no length token). */
  readonly lengthUnits: readonly (readonly number[])[];
  /** Index of the implicit default length (one eighth) in lengthUnits rows. */
  readonly defaultLength: number;
  readonly eos: number;
}

/** Grids finer than this come from exotic tuplets; those tuplets are left out instead. */
const MAX_UNITS_PER_WHOLE = 20_160;

/** Meters in 2, 4, 8 and 16 must measure in whole units. */
const METER_DENOMINATORS = 16;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

export function buildTokenTable(vocabulary: Vocabulary): TokenTable {
  const lengths: { n: number; d: number }[] = [];
  const lengthIds: number[] = [];
  const tupletIds: number[] = [];
  const tuplets: TupletSpec[] = [];
  vocabulary.tokens.forEach((t, id) => {
    const length = parseLengthToken(t);
    if (length) {
      lengths.push(length);
      lengthIds.push(id);
    }
    const tup = /^\((\d)(?::(\d):(\d))?$/.exec(t);
    if (tup) {
      const p = Number(tup[1]);
      const q = tup[2] ? Number(tup[2]) : defaultTupletQ(p);
      const r = tup[3] ? Number(tup[3]) : p;
      tuplets.push({ p, q, r });
      tupletIds.push(id);
    }
  });
  // Duration of a length token = length × TOKEN_UNIT × q/p, in whole notes.
  const allLengths = [...lengths, { n: 1, d: 1 }];
  const denominatorFor = (scale: { p: number; q: number }) =>
    allLengths.reduce((acc, l) => {
      const num = l.n * TOKEN_UNIT.n * scale.q;
      const den = l.d * TOKEN_UNIT.d * scale.p;
      return lcm(acc, den / gcd(num, den));
    }, METER_DENOMINATORS);
  let unitsPerWhole = denominatorFor({ p: 1, q: 1 });
  const usable = tuplets.map((t) => {
    const next = lcm(unitsPerWhole, denominatorFor(t));
    if (next > MAX_UNITS_PER_WHOLE) return false;
    unitsPerWhole = next;
    return true;
  });
  const keptTuplets = tuplets.filter((_, i) => usable[i]);
  const scales = [{ p: 1, q: 1 }, ...keptTuplets];
  const lengthUnits = scales.map((s) =>
    allLengths.map((l) => (l.n * TOKEN_UNIT.n * s.q * unitsPerWhole) / (l.d * TOKEN_UNIT.d * s.p)),
  );

  const classes: TokenClass[] = vocabulary.tokens.map((t, id) => {
    const pitch = parsePitchToken(t);
    if (pitch) return { kind: "note", pitch: pitchKey(pitch) };
    if (t === REST) return { kind: "rest" };
    if (t === TIE) return { kind: "tie" };
    if (t === EOS) return { kind: "end" };
    if (t === BOS) return { kind: "never" };
    const li = lengthIds.indexOf(id);
    if (li >= 0) return { kind: "length", index: li };
    const ti = tupletIds.indexOf(id);
    if (ti >= 0) {
      const kept = usable[ti] ? keptTuplets.indexOf(tuplets[ti] as TupletSpec) : -1;
      return kept >= 0 ? { kind: "tuplet", index: kept + 1 } : { kind: "never" };
    }
    if ((BAR_TYPES as readonly string[]).includes(t)) return { kind: "bar", bar: t as BarType };
    // Only single endings: the grammar models first and second time bars.
    const ending = /^\[(\d)$/.exec(t);
    if (ending && (ending[1] === "1" || ending[1] === "2"))
      return { kind: "ending", number: Number(ending[1]) };
    return { kind: "never" };
  });
  const eos = vocabulary.id(EOS);
  if (eos === undefined) throw new Error("the vocabulary has no end-of-tune token");
  return {
    classes,
    unitsPerWhole,
    tuplets: keptTuplets,
    lengthUnits,
    defaultLength: allLengths.length - 1,
    eos,
  };
}

/** Identity of a written pitch for tie matching (spelling included). */
function pitchKey(p: { step: number; octave: number; alter: number }): number {
  return (p.octave * 7 + p.step) * 8 + (p.alter + 4);
}
