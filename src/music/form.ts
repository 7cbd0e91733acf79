import { tonicPitchClass } from "./features.js";
import { midiOf } from "./pitch.js";
import { add, cmp, formatRational, isZero, type Rational, ZERO } from "./rational.js";
import { type BarType, meterLength, meterName, type Tune, type TuneElement } from "./tune.js";
import type { TuneType } from "./tune-type.js";

/**
 * The form of a tune as written: its parts (sections between repeat signs and double
 * bars), its bars, and how much of it returns — bars and two-bar phrases that repeat
 * earlier ones, how alike the parts are, whether each part closes on the tonic or the
 * dominant. Real folk tunes are built from return; these measures tell a composed tune
 * that wanders from one that comes back, and they are what a form plan copies.
 */
export interface FormBar {
  /** Notes and rests as "pitch:length" (rests "z:length"), ties kept: the bar's identity. */
  readonly content: readonly string[];
  /** 0-based part this bar belongs to. */
  readonly part: number;
  /** The bar line that closes it. */
  readonly closedBy: BarType | "end";
}

export interface FormAnalysis {
  /** Bars in written order: full bars and the short bars that close a part; pickups are left out. */
  readonly bars: readonly FormBar[];
  /** Bars per part, in order. */
  readonly partBars: readonly number[];
  /** Per part: closed by a repeat sign (played twice). */
  readonly partRepeats: readonly boolean[];
  /** Per bar: index of the first earlier bar with the same content, or -1. */
  readonly copies: readonly number[];
  /** Share of bars (after the first) that repeat an earlier bar exactly. */
  readonly barRepeatShare: number;
  /** Share of two-bar phrases (bars 1–2, 3–4, …) that repeat an earlier phrase exactly. */
  readonly phraseRepeatShare: number;
  /** Most similar pair of parts (halves, for a one-part tune): 1 − edit distance / longer length. */
  readonly partSimilarity: number;
  /** Share of parts whose last note is the tonic or the dominant. */
  readonly cadenceShare: number;
}

export function analyseForm(tune: Tune): FormAnalysis {
  const full = meterLength(tune.meter);
  const raw = splitBars(tune.elements);
  const bars: FormBar[] = [];
  const partRepeats: boolean[] = [];
  const partLastNotes: (number | undefined)[] = [];
  let part = 0;
  let repeated = false;
  let lastNote: number | undefined;
  const closePart = () => {
    if (!bars.some((b) => b.part === part)) return;
    partRepeats.push(repeated);
    partLastNotes.push(lastNote);
    part++;
    repeated = false;
  };
  raw.forEach((bar, i) => {
    lastNote = bar.lastPitchClass ?? lastNote;
    // A short bar opening the tune or a part is a pickup; one closing a part completes it.
    const opensSection = i === 0 || (raw[i - 1] as RawBar).closedBy !== "|";
    const closesSection = bar.closedBy !== "|";
    if (cmp(bar.length, full) === 0 || (closesSection && !opensSection))
      bars.push({ content: bar.notes, part, closedBy: bar.closedBy });
    if (bar.closedBy === ":|" || bar.closedBy === "::") repeated = true;
    // A part runs on through its second ending.
    if (bar.closedBy !== "|" && raw[i + 1]?.startsEnding !== 2) closePart();
  });
  closePart();
  const partBars = partRepeats.map((_, p) => bars.filter((b) => b.part === p).length);
  const keys = bars.map((b) => b.content.join(" "));
  const copies = keys.map((k, i) => {
    const first = keys.indexOf(k);
    return first < i ? first : -1;
  });
  const barRepeatShare = bars.length > 1 ? copies.filter((c) => c >= 0).length / (bars.length - 1) : 0;
  const phrases: string[] = [];
  for (let i = 0; i + 1 < keys.length; i += 2) phrases.push(`${keys[i]}|${keys[i + 1]}`);
  const repeatedPhrases = phrases.filter((p, i) => phrases.indexOf(p) < i).length;
  const phraseRepeatShare = phrases.length > 1 ? repeatedPhrases / (phrases.length - 1) : 0;
  const tonic = tonicPitchClass(tune.key.tonic);
  const cadences = partLastNotes.filter((n) => n === tonic || n === (tonic + 7) % 12).length;
  return {
    bars,
    partBars,
    partRepeats,
    copies,
    barRepeatShare,
    phraseRepeatShare,
    partSimilarity: partSimilarity(bars, partBars.length),
    cadenceShare: partLastNotes.length > 0 ? cadences / partLastNotes.length : 0,
  };
}

interface RawBar {
  readonly index: number;
  readonly notes: string[];
  length: Rational;
  closedBy: BarType | "end";
  lastPitchClass?: number;
  /** The ending (1, 2…) that opens at this bar, if any. */
  startsEnding?: number;
}

function splitBars(elements: readonly TuneElement[]): RawBar[] {
  const out: RawBar[] = [];
  let current: RawBar = { index: 0, notes: [], length: ZERO, closedBy: "end" };
  for (const e of elements) {
    switch (e.kind) {
      case "note":
        current.notes.push(`${midiOf(e.pitch)}:${formatRational(e.duration)}${e.tie ? "-" : ""}`);
        current.length = add(current.length, e.duration);
        current.lastPitchClass = midiOf(e.pitch) % 12;
        break;
      case "rest":
        current.notes.push(`z:${formatRational(e.duration)}`);
        current.length = add(current.length, e.duration);
        break;
      case "ending":
        current.startsEnding = e.numbers[0];
        break;
      case "bar":
        current.closedBy = e.bar;
        if (!isZero(current.length) || current.startsEnding) out.push(current);
        else if (out.at(-1)?.closedBy === "|") (out.at(-1) as RawBar).closedBy = e.bar;
        current = { index: out.length, notes: [], length: ZERO, closedBy: "end" };
        break;
      case "tuplet":
        break;
    }
  }
  if (!isZero(current.length)) out.push(current);
  return out;
}

function partSimilarity(bars: readonly FormBar[], parts: number): number {
  const notesOf = (list: readonly FormBar[]) => list.flatMap((b) => b.content);
  let groups: string[][];
  if (parts >= 2) {
    groups = Array.from({ length: parts }, (_, p) => notesOf(bars.filter((b) => b.part === p)));
  } else {
    const half = Math.floor(bars.length / 2);
    groups = [notesOf(bars.slice(0, half)), notesOf(bars.slice(half))];
  }
  let best = 0;
  for (let a = 0; a < groups.length; a++)
    for (let b = a + 1; b < groups.length; b++)
      best = Math.max(best, similarity(groups[a] ?? [], groups[b] ?? []));
  return best;
}

/** 1 − Levenshtein distance / longer length, over note symbols. */
export function similarity(a: readonly string[], b: readonly string[]): number {
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(substitution, (previous[j] as number) + 1, (row[j - 1] as number) + 1));
    }
    previous = row;
  }
  return 1 - (previous[b.length] as number) / longer;
}

/** A real tune's form, reduced to what a composed tune can borrow: equal parts and which bars return. */
export interface FormTemplate {
  readonly type?: TuneType;
  /** "6/8" */
  readonly meter: string;
  /** Bars per part. */
  readonly partBars: number;
  readonly parts: number;
  /** Per bar (parts × partBars): index of the earlier bar it repeats, or -1. */
  readonly copies: readonly number[];
}

/** The tune's form template, when its parts all have the same number of bars (2 to 16). */
export function formTemplateOf(tune: Tune): FormTemplate | undefined {
  const form = analyseForm(tune);
  const n = form.partBars[0];
  if (n === undefined || n < 2 || n > 16 || form.partBars.some((b) => b !== n)) return undefined;
  return {
    ...(tune.rhythm ? { type: tune.rhythm } : {}),
    meter: meterName(tune.meter),
    partBars: n,
    parts: form.partBars.length,
    copies: form.copies,
  };
}

/** The form templates of a set of tunes (those whose parts have equal lengths). */
export function formTemplates(tunes: readonly Tune[]): FormTemplate[] {
  return tunes.flatMap((t) => formTemplateOf(t) ?? []);
}

/**
 * Bars per part of a tune that stops where a part closes and whose parts are all that
 * long: the length the next part should have. Undefined for a tune that stops mid-part.
 */
export function closedPartBars(tune: Tune): number | undefined {
  const last = tune.elements.at(-1);
  if (last?.kind !== "bar" || last.bar === "|") return undefined;
  const { partBars } = analyseForm(tune);
  const n = partBars.at(-1);
  return n !== undefined && n >= 2 && n <= 16 && partBars.every((b) => b === n) ? n : undefined;
}
