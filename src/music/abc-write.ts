import { abcAccidental, abcLength, abcLetter, abcTuplet } from "./abc-notation.js";
import { formatChordSymbol } from "./chord.js";
import { abcKeyName, keySignature, type Tonic } from "./key.js";
import { add, div, eq, formatRational, mul, type Rational, rat, ZERO } from "./rational.js";
import { transposeTo } from "./transpose.js";
import { beatLength, meterLength, type Tune, type TuneElement } from "./tune.js";

export interface AbcWriteOptions {
  /** Transpose to this tonic first (the mode stays the tune's own). */
  readonly tonic?: Tonic;
  /** The X: reference number. */
  readonly x?: number;
  /** Bars per line of music. */
  readonly barsPerLine?: number;
}

/**
 * Writes readable ABC: the header fields, notes spelled against the key signature,
 * a space between beats, broken rhythm where it applies, and a few bars per line.
 * Reading the result back with `parseAbc` gives the same tune.
 */
export function tuneToAbc(tune: Tune, options: AbcWriteOptions = {}): string {
  const t = options.tonic ? transposeTo(tune, options.tonic) : tune;
  const header = [
    `X:${options.x ?? 1}`,
    `T:${oneLine(t.title) || "Untitled"}`,
    `M:${t.meter.num}/${t.meter.den}`,
    `L:${formatRational(t.unitLength)}`,
    ...(t.tempo ? [`Q:${formatRational(t.tempo.beat)}=${Math.round(t.tempo.bpm)}`] : []),
    ...(t.rhythm ? [`R:${t.rhythm}`] : []),
    `K:${abcKeyName(t.key)}`,
  ];
  return `${header.join("\n")}\n${writeBody(t, options.barsPerLine ?? defaultBarsPerLine(t))}\n`;
}

function defaultBarsPerLine(t: Tune): number {
  return meterLength(t.meter).n / meterLength(t.meter).d <= 0.5 ? 8 : 4;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").trim();
}

function writeBody(t: Tune, barsPerLine: number): string {
  const signature = keySignature(t.key);
  let beat = beatLength(t.meter);
  const lines: string[] = [];
  let line = "";
  let bars = 0;
  /** Steps that carried an accidental in this bar: later notes on them get one too. */
  let marked = new Set<number>();
  let position: Rational = ZERO;
  let tuplet: { scale: Rational; left: number } | undefined;
  const els = t.elements;

  const lengthOf = (duration: Rational): string => {
    let written = div(duration, t.unitLength);
    if (tuplet) {
      written = mul(written, tuplet.scale);
      if (--tuplet.left === 0) tuplet = undefined;
    }
    return abcLength(written);
  };
  const symbol = (e: TuneElement & { kind: "note" | "rest" }): string => {
    const chord = e.chord ? `"${formatChordSymbol(e.chord)}"` : "";
    if (e.kind === "rest") return `${chord}z`;
    const { step, octave, alter } = e.pitch;
    const needsSign = alter !== signature[step] || marked.has(step);
    if (needsSign) marked.add(step);
    return chord + (needsSign ? abcAccidental(alter) : "") + abcLetter(step, octave);
  };

  for (let i = 0; i < els.length; i++) {
    const e = els[i] as TuneElement;
    if (e.kind === "note" || e.kind === "rest") {
      if (startsBeat(position, beat) && line !== "" && !line.endsWith(" ") && !tuplet) line += " ";
      const next = els[i + 1];
      const pair = !tuplet && (next?.kind === "note" || next?.kind === "rest") ? next : undefined;
      const sign = pair && brokenSign(e, pair, t.unitLength);
      if (pair && sign) {
        line += `${symbol(e)}${sign}${symbol(pair)}${tieOf(pair)}`;
        position = add(position, add(e.duration, pair.duration));
        i++;
      } else {
        line += `${symbol(e)}${lengthOf(e.duration)}${tieOf(e)}`;
        position = add(position, e.duration);
      }
    } else if (e.kind === "tuplet") {
      if (line !== "" && !line.endsWith(" ")) line += " ";
      line += abcTuplet(e.p, e.q, e.r);
      tuplet = { scale: rat(e.p, e.q), left: e.r };
    } else if (e.kind === "ending") {
      line += `[${e.numbers.join(",")} `;
    } else if (e.kind === "meter") {
      line += `[M:${e.meter.num}/${e.meter.den}] `;
      beat = beatLength(e.meter);
    } else {
      line += ` ${e.bar}`;
      marked = new Set();
      position = ZERO;
      bars++;
      const endingNext = els[i + 1]?.kind === "ending";
      if (bars % barsPerLine === 0 && !endingNext && i < els.length - 1) {
        lines.push(line.trim());
        line = "";
      } else if (!endingNext) {
        line += " ";
      }
    }
  }
  if (line.trim() !== "") lines.push(line.trim());
  return lines.join("\n");

  function startsBeat(pos: Rational, b: Rational): boolean {
    return div(pos, b).d === 1;
  }
}

function tieOf(e: TuneElement): string {
  return e.kind === "note" && e.tie ? "-" : "";
}

/** `A>B` / `A<B`: a pair of unit notes dotted one way or the other. */
function brokenSign(
  a: TuneElement & { duration: Rational },
  b: { duration: Rational },
  unit: Rational,
): string | undefined {
  if (a.kind === "note" && a.tie) return undefined;
  const long = mul(unit, rat(3, 2));
  const short = mul(unit, rat(1, 2));
  if (eq(a.duration, long) && eq(b.duration, short)) return ">";
  if (eq(a.duration, short) && eq(b.duration, long)) return "<";
  return undefined;
}
