import { abcLength, abcLetter, abcPitch, abcTuplet, defaultTupletQ } from "./abc-notation.js";
import { C_MAJOR, MODES, type Mode, type Tonic } from "./key.js";
import { MusicError } from "./music-errors.js";
import { type Pitch, stepOf } from "./pitch.js";
import { div, mul, type Rational, rat } from "./rational.js";
import { transposeTo } from "./transpose.js";
import { BAR_TYPES, type BarType, DEFAULT_UNIT, type Tempo, type Tune, type TuneElement } from "./tune.js";
import { parseRhythmToken, rhythmToken } from "./tune-type.js";

/**
 * Model tokens in the spirit of folk-rnn: the tune is transposed to a tonic of C, then
 * written as a meter token, a mode token, a tune-type token when the type is known
 * (`R:reel`) and one token per pitch, length, bar line,
 * ending, tuplet, tie and rest. Pitches carry their accidental explicitly (`_E` in
 * C minor), so a token means the same sound in every mode. Lengths are in eighth
 * notes and omitted when exactly one eighth, as in ABC with L:1/8.
 */

export const BOS = "<s>";
export const EOS = "</s>";
export const TIE = "-";
export const REST = "z";
/** Lengths are written in this unit. */
export const TOKEN_UNIT = DEFAULT_UNIT;

export class TokenError extends MusicError {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super("bad-tokens", `token ${index}: ${message}`);
  }
}

export const meterToken = (num: number, den: number): string => `M:${num}/${den}`;
export const modeToken = (mode: Mode): string => `K:${mode}`;

/** The token sequence of a tune, from `<s>` to `</s>`. */
export function tuneToTokens(tune: Tune): string[] {
  const inC = transposeTo(tune, C_MAJOR.tonic);
  const out = [BOS, meterToken(tune.meter.num, tune.meter.den), modeToken(tune.key.mode)];
  if (tune.rhythm) out.push(rhythmToken(tune.rhythm));
  let tuplet: { scale: Rational; left: number } | undefined;
  for (const e of inC.elements) {
    switch (e.kind) {
      case "note":
      case "rest": {
        let written = div(e.duration, TOKEN_UNIT);
        if (tuplet) {
          written = mul(written, tuplet.scale);
          if (--tuplet.left === 0) tuplet = undefined;
        }
        out.push(e.kind === "note" ? abcPitch(e.pitch) : REST);
        const length = abcLength(written);
        if (length) out.push(length);
        if (e.kind === "note" && e.tie) out.push(TIE);
        break;
      }
      case "tuplet":
        out.push(abcTuplet(e.p, e.q, e.r));
        tuplet = { scale: rat(e.p, e.q), left: e.r };
        break;
      case "bar":
        out.push(e.bar);
        break;
      case "ending":
        out.push(`[${e.numbers.join(",")}`);
        break;
      case "meter":
        // The vocabulary has no meter-change token; callers take the tune's last meter
        // section (splitAtLastMeter) rather than let a change vanish from the tokens.
        throw new MusicError(
          "meter-change",
          `the model's notation cannot change meter mid-tune (to ${e.meter.num}/${e.meter.den} here)`,
        );
    }
  }
  out.push(EOS);
  return out;
}

export interface DetokenizeOptions {
  readonly title?: string;
  /** Tonic to transpose to; tokens are always in C. */
  readonly tonic?: Tonic;
  readonly tempo?: Tempo;
}

/**
 * Rebuilds a tune from tokens (with or without `<s>`/`</s>`). Throws TokenError on a
 * sequence that is not a tune, naming the offending token.
 */
export function tokensToTune(tokens: readonly string[], options: DetokenizeOptions = {}): Tune {
  let i = tokens[0] === BOS ? 1 : 0;
  const meter = /^M:(\d+)\/(\d+)$/.exec(tokens[i] ?? "");
  if (!meter) throw new TokenError(`expected a meter token, got "${tokens[i] ?? "end"}"`, i);
  i++;
  const mode = /^K:(\w+)$/.exec(tokens[i] ?? "")?.[1] as Mode | undefined;
  if (!mode || !MODES.includes(mode))
    throw new TokenError(`expected a mode token, got "${tokens[i] ?? "end"}"`, i);
  i++;
  const rhythm = parseRhythmToken(tokens[i] ?? "");
  if (rhythm) i++;
  const elements: TuneElement[] = [];
  let tuplet: { scale: Rational; left: number } | undefined;
  for (; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === EOS) {
      if (i !== tokens.length - 1) throw new TokenError("tokens after the end of the tune", i + 1);
      break;
    }
    const pitch = parsePitchToken(t);
    if (pitch || t === REST) {
      let written = rat(1);
      const length = tokens[i + 1] !== undefined ? parseLengthToken(tokens[i + 1] as string) : undefined;
      if (length) {
        written = length;
        i++;
      }
      if (tuplet) {
        written = div(written, tuplet.scale);
        if (--tuplet.left === 0) tuplet = undefined;
      }
      const duration = mul(written, TOKEN_UNIT);
      if (pitch) {
        const tie = tokens[i + 1] === TIE;
        if (tie) i++;
        elements.push({ kind: "note", pitch, duration, ...(tie ? { tie } : {}) });
      } else {
        elements.push({ kind: "rest", duration });
      }
      continue;
    }
    const tup = /^\((\d)(?::(\d):(\d))?$/.exec(t);
    if (tup) {
      if (tuplet) throw new TokenError("a tuplet starts inside another tuplet", i);
      const p = Number(tup[1]);
      const q = tup[2] ? Number(tup[2]) : defaultTupletQ(p);
      const r = tup[3] ? Number(tup[3]) : p;
      elements.push({ kind: "tuplet", p, q, r });
      tuplet = { scale: rat(p, q), left: r };
    } else if ((BAR_TYPES as readonly string[]).includes(t)) {
      elements.push({ kind: "bar", bar: t as BarType });
    } else if (/^\[\d(,\d)*$/.test(t)) {
      elements.push({ kind: "ending", numbers: t.slice(1).split(",").map(Number) });
    } else {
      throw new TokenError(`unexpected token "${t}"`, i);
    }
  }
  if (tuplet) throw new TokenError("the tune ends inside a tuplet", tokens.length);
  const inC: Tune = {
    title: options.title ?? "",
    meter: { num: Number(meter[1]), den: Number(meter[2]) },
    unitLength: TOKEN_UNIT,
    key: { tonic: C_MAJOR.tonic, mode },
    ...(options.tempo ? { tempo: options.tempo } : {}),
    ...(rhythm ? { rhythm } : {}),
    elements,
  };
  return options.tonic ? transposeTo(inC, options.tonic) : inC;
}

const PITCH_TOKEN = /^(\^\^|\^|__|_)?([A-Ga-g])([,']*)$/;

export function parsePitchToken(t: string): Pitch | undefined {
  const m = PITCH_TOKEN.exec(t);
  if (!m) return undefined;
  const [, acc = "", letter = "C", marks = ""] = m;
  const lower = letter === letter.toLowerCase();
  if ((lower && marks.includes(",")) || (!lower && marks.includes("'"))) return undefined;
  const octave = (lower ? 5 : 4) + (lower ? marks.length : -marks.length);
  const alter = acc.startsWith("^") ? acc.length : acc.startsWith("_") ? -acc.length : 0;
  const pitch: Pitch = { step: stepOf(letter), octave, alter };
  return abcLetter(pitch.step, octave) === letter + marks ? pitch : undefined;
}

const LENGTH_TOKEN = /^(\d+)?(?:\/(\d+))?$/;

/** "2", "/2", "3/2" → length in eighths; anything else → undefined. */
export function parseLengthToken(t: string): Rational | undefined {
  const m = LENGTH_TOKEN.exec(t);
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  const n = Number(m[1] ?? 1);
  const d = Number(m[2] ?? 1);
  return n > 0 && d > 0 ? rat(n, d) : undefined;
}
