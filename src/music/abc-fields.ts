import { type Key, KeyParseError, keySignature, parseKey } from "./key.js";
import { type Step, stepOf } from "./pitch.js";
import { type Rational, rat } from "./rational.js";
import { DEFAULT_UNIT, type Meter, type Tempo } from "./tune.js";

/**
 * Values of the ABC header fields the reader interprets (M:, L:, Q:, K:), as pure
 * functions of the field's text. Undefined or a KeyParseError means "cannot read".
 */

/** `6/8`, `C`, `C|`, and additive meters written `2+3/8` or `(2+2+3)/8`. */
export function parseMeter(v: string): Meter | undefined {
  const value = v.replace(/%.*$/, "").trim();
  if (value === "C") return { num: 4, den: 4 };
  if (value === "C|") return { num: 2, den: 2 };
  const m = /^\(?(\d{1,2}(?:\s*\+\s*\d{1,2}){0,5})\)?\s*\/\s*(\d{1,2})$/.exec(value);
  if (!m) return undefined;
  const num = (m[1] as string).split("+").reduce((sum, part) => sum + Number(part), 0);
  const den = Number(m[2]);
  if (num < 1 || num > 99 || ![1, 2, 4, 8, 16].includes(den)) return undefined;
  return { num, den };
}

/** ABC 2.1: L defaults to 1/16 for meters below 3/4, else 1/8. */
export function defaultUnit(meter: Meter): Rational {
  return meter.num / meter.den < 0.75 ? rat(1, 16) : DEFAULT_UNIT;
}

/**
 * `Q:1/4=120`, `Q:"Allegro" 3/8=100`, `Q:1=60`, legacy `Q:120` (in unit lengths). Tempos
 * outside 4–1000 quarter notes a minute (what a MIDI file can hold) are ignored.
 */
export function parseTempo(v: string, unit: Rational): Tempo | undefined {
  const m = /(?<!\d)(\d{1,6})(?:\s*\/\s*(\d{1,6}))?\s*=\s*(\d{1,6})(?!\d)/.exec(v);
  const legacy = /^(\d{1,6})$/.exec(v.trim());
  const bpm = Number(m ? m[3] : legacy?.[1]);
  const d = Number(m?.[2] ?? 1);
  if ((!m && !legacy) || bpm <= 0 || bpm > 1000 || d === 0 || Number(m?.[1]) === 0) return undefined;
  const beat = m ? rat(Number(m[1]), d) : unit;
  const quarters = (bpm * beat.n * 4) / beat.d;
  return quarters >= 4 && quarters <= 1000 ? { bpm, beat } : undefined;
}

/** ABC 2.1: only the first three letters of a mode count (`Dmixm`, `Ador.` are D mixolydian, A dorian). */
function parseAbcKey(text: string): Key {
  try {
    return parseKey(text);
  } catch (error) {
    const m = /^([A-Ga-g]\s*[#b♯♭]?)\s*([A-Za-z]{3})[A-Za-z.]*(.*)$/.exec(text);
    if (!(error instanceof KeyParseError) || !m) throw error;
    return parseKey(`${m[1]}${m[2]}${m[3]}`);
  }
}

export interface KeyField {
  /** "none" for `K:none` (or an empty K:): the tonic is to be found from the notes. */
  readonly key: Key | "none";
  /** Alteration of each step (C..B) that notes without an accidental get. */
  readonly signature: readonly number[];
}

const A_MIXOLYDIAN: Key = { tonic: { step: 5, alter: 0 }, mode: "mixolydian" };
const EXTRA_ACCIDENTAL = /^(\^\^|\^|__|_|=)([A-Ga-g])$/;
const ALTER: Record<string, number> = { "^^": 2, "^": 1, __: -2, _: -1, "=": 0 };

/**
 * A `K:` field: the key, and the signature the notes are read with. Besides what parseKey
 * reads: `K:none`; the bagpipe keys `K:HP`/`K:Hp` (A mixolydian, sounding F♯ and C♯);
 * extra accidentals (`K:D ^g`), and `exp` to give the signature explicitly (`K:D exp ^f`).
 * Throws KeyParseError.
 */
export function readKeyField(v: string): KeyField {
  const words = v.replace(/%.*$/, "").trim().split(/\s+/).filter(Boolean);
  const extras = words.filter((w) => EXTRA_ACCIDENTAL.test(w));
  const explicit = words.some((w) => w.toLowerCase() === "exp");
  const rest = words.filter((w) => !EXTRA_ACCIDENTAL.test(w) && w.toLowerCase() !== "exp").join(" ");
  let key: Key | "none";
  let signature: number[];
  if (/^HP\b/i.test(rest)) {
    key = A_MIXOLYDIAN;
    signature = [...keySignature(A_MIXOLYDIAN)];
  } else if (
    rest === "" ||
    /^(none|clef|octave|transpose|middle|stafflines|treble|bass|alto|tenor|perc)\b/i.test(rest)
  ) {
    key = "none";
    signature = [0, 0, 0, 0, 0, 0, 0];
  } else {
    key = parseAbcKey(rest);
    signature = [...keySignature(key)];
  }
  if (explicit) signature = [0, 0, 0, 0, 0, 0, 0];
  for (const word of extras) {
    const [, accidental = "", letter = "C"] = EXTRA_ACCIDENTAL.exec(word) ?? [];
    signature[stepOf(letter) as Step] = ALTER[accidental] ?? 0;
  }
  return { key, signature };
}
