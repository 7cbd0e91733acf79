import { soundingNotes, tonicPitchClass } from "./features.js";
import { analyseForm, similarity } from "./form.js";
import { midiOf } from "./pitch.js";
import { add, cmp, div, rat, toNumber, ZERO } from "./rational.js";
import { beatLength, meterLength, type Tune } from "./tune.js";

/**
 * Numbers that describe a whole tune, for classifiers that judge composed tunes against
 * real ones: its structure (does it come back to its material?) and its rhythm (what
 * tells a hornpipe from a reel in the same meter).
 */
export const STRUCTURE_FEATURES = [
  "repeat signs per bar",
  "parts",
  "bars repeating an earlier bar",
  "phrases repeating an earlier phrase",
  "most similar parts",
  "first half vs second half",
  "ends on the tonic",
  "range (octaves)",
  "steps",
  "leaps",
  "repeated notes",
  "notes per bar",
] as const;

export function structureFeatures(tune: Tune): number[] {
  const form = analyseForm(tune);
  const bars = Math.max(1, form.bars.length);
  const repeatSigns = tune.elements.filter(
    (e) => e.kind === "bar" && (e.bar === ":|" || e.bar === "::"),
  ).length;
  const notes = soundingNotes(tune).map((n) => midiOf(n.pitch));
  const steps = intervals(notes);
  const contents = form.bars.flatMap((b) => b.content);
  const half = Math.floor(contents.length / 2);
  const last = notes.at(-1);
  return [
    repeatSigns / bars,
    form.partBars.length,
    form.barRepeatShare,
    form.phraseRepeatShare,
    form.partSimilarity,
    similarity(contents.slice(0, half), contents.slice(half)),
    last !== undefined && last % 12 === tonicPitchClass(tune.key.tonic) ? 1 : 0,
    notes.length > 0 ? (Math.max(...notes) - Math.min(...notes)) / 12 : 0,
    share(steps, (i) => i >= 1 && i <= 2),
    share(steps, (i) => i > 4),
    share(steps, (i) => i === 0),
    notes.length / bars,
  ];
}

/**
 * Meter and rhythm: the bar's length and beat, where in the beat notes start (twelfths of a
 * beat), how long they are against the beat, dotted pairs and triplets, notes per beat.
 */
export function rhythmFeatures(tune: Tune): number[] {
  const beat = beatLength(tune.meter);
  const bar = meterLength(tune.meter);
  const onsets = new Array<number>(12).fill(0);
  const lengths = new Array<number>(6).fill(0);
  let position = ZERO;
  let notes = 0;
  let dotted = 0;
  let previous: number | undefined;
  for (const e of tune.elements) {
    if (e.kind === "bar") {
      position = ZERO;
      continue;
    }
    if (e.kind !== "note" && e.kind !== "rest") continue;
    const inBeat = toNumber(div(position, beat)) % 1;
    bump(onsets, Math.min(11, Math.floor(inBeat * 12 + 1e-9)));
    const relative = toNumber(div(e.duration, beat));
    bump(
      lengths,
      relative < 0.2
        ? 0
        : relative < 0.3
          ? 1
          : relative < 0.4
            ? 2
            : relative < 0.6
              ? 3
              : relative < 1.1
                ? 4
                : 5,
    );
    if (previous !== undefined && Math.abs(previous / relative - 3) < 1e-6) dotted++;
    previous = relative;
    notes++;
    position = add(position, e.duration);
  }
  const tuplets = tune.elements.filter((e) => e.kind === "tuplet").length;
  const beatsPerBar = toNumber(div(bar, beat));
  const barCount = Math.max(1, tune.elements.filter((e) => e.kind === "bar").length);
  return [
    toNumber(bar),
    beatsPerBar,
    cmp(beat, rat(3, 8)) === 0 ? 1 : 0,
    ...onsets.map((c) => c / Math.max(1, notes)),
    ...lengths.map((c) => c / Math.max(1, notes)),
    dotted / Math.max(1, notes),
    tuplets / barCount,
    notes / barCount / beatsPerBar,
  ];
}

function bump(counts: number[], bin: number): void {
  counts[bin] = (counts[bin] as number) + 1;
}

function intervals(midis: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < midis.length; i++) out.push(Math.abs((midis[i] as number) - (midis[i - 1] as number)));
  return out;
}

function share(values: readonly number[], test: (v: number) => boolean): number {
  return values.length === 0 ? 0 : values.filter(test).length / values.length;
}
