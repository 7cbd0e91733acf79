import type { Tonic } from "./key.js";
import { midiOf, type Pitch, pitchClass, STEP_SEMITONES } from "./pitch.js";
import { add, eq, type Rational, rat } from "./rational.js";
import type { Tune } from "./tune.js";

/**
 * Statistics that compare generated tunes with real ones, after Yang & Lerch (2018), "On the
 * evaluation of generative models in music", simplified: each feature is a histogram pooled
 * over a set of tunes, and two sets are compared by the overlapping area of their normalised
 * histograms.
 *
 * Every feature reads the tune as written (repeats are not expanded, so a repeated section
 * weighs as much as one that is not), and a chain of tied notes counts as the one note it
 * sounds as: otherwise the ties a transcriber chose to write would show up as unisons and as
 * short notes.
 */

export interface Histogram {
  /** One label per bin, for reports. */
  readonly labels: readonly string[];
  /** Raw counts per bin (not normalised), summed over all tunes. */
  readonly counts: readonly number[];
}

/** A note as heard: tied notes of equal pitch joined into one. */
export interface SoundingNote {
  readonly pitch: Pitch;
  readonly duration: Rational;
}

/** The tune's notes in written order, each chain of ties joined into one longer note. */
export function soundingNotes(tune: Tune): SoundingNote[] {
  const out: SoundingNote[] = [];
  let tiedFrom: { index: number; midi: number } | undefined;
  for (const e of tune.elements) {
    if (e.kind === "rest") tiedFrom = undefined;
    if (e.kind !== "note") continue;
    const midi = midiOf(e.pitch);
    const held = tiedFrom?.midi === midi ? out[tiedFrom.index] : undefined;
    const index = held && tiedFrom ? tiedFrom.index : out.length;
    out[index] = held
      ? { pitch: held.pitch, duration: add(held.duration, e.duration) }
      : { pitch: e.pitch, duration: e.duration };
    tiedFrom = e.tie ? { index, midi } : undefined;
  }
  return out;
}

const DEGREE_LABELS = ["1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7"];

/**
 * Pitch classes as semitones above each tune's tonic (bin 0 = tonic, 7 = fifth), so tunes in
 * different keys are comparable. Each sounding note counts once whatever its length: the
 * question is which degrees a melody uses, and weighting by duration would let a few long
 * final notes outweigh the running notes that make up a folk tune.
 */
export function pitchClassHistogram(tunes: readonly Tune[]): Histogram {
  const counts = new Array<number>(12).fill(0);
  for (const tune of tunes) {
    const tonic = tonicPitchClass(tune.key.tonic);
    for (const note of soundingNotes(tune)) countIn(counts, pitchClass(midiOf(note.pitch) - tonic));
  }
  return { labels: DEGREE_LABELS, counts };
}

/** Largest melodic interval given its own bin; wider leaps share an overflow bin each way. */
export const MAX_INTERVAL = 12;

/**
 * Melodic intervals in semitones between consecutive sounding notes of a tune, in written
 * order (rests do not break the line). Bins: "<-12", -12 … +12, ">+12".
 */
export function intervalHistogram(tunes: readonly Tune[]): Histogram {
  const size = 2 * MAX_INTERVAL + 3;
  const counts = new Array<number>(size).fill(0);
  for (const tune of tunes) {
    const midis = soundingNotes(tune).map((n) => midiOf(n.pitch));
    for (let i = 1; i < midis.length; i++) {
      const step = (midis[i] as number) - (midis[i - 1] as number);
      countIn(counts, Math.min(size - 1, Math.max(0, step + MAX_INTERVAL + 1)));
    }
  }
  const labels = Array.from({ length: size }, (_, i) =>
    i === 0 ? `<-${MAX_INTERVAL}` : i === size - 1 ? `>+${MAX_INTERVAL}` : signed(i - MAX_INTERVAL - 1),
  );
  return { labels, counts };
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/**
 * Note lengths as fractions of a whole note (sounding, so a triplet eighth is 1/12). Whole-note
 * fractions rather than beats: a reel's eighth and a jig's eighth are the same note, and the
 * corpus mixes meters and unit lengths freely.
 */
export const NOTE_LENGTH_BINS: readonly Rational[] = [
  rat(1, 16),
  rat(1, 12),
  rat(1, 8),
  rat(3, 16),
  rat(1, 4),
  rat(3, 8),
  rat(1, 2),
  rat(3, 4),
  rat(1, 1),
];

/** Counts of note lengths in NOTE_LENGTH_BINS, then one bin for any other length. */
export function noteLengthHistogram(tunes: readonly Tune[]): Histogram {
  const counts = new Array<number>(NOTE_LENGTH_BINS.length + 1).fill(0);
  for (const tune of tunes) {
    for (const note of soundingNotes(tune)) {
      const bin = NOTE_LENGTH_BINS.findIndex((length) => eq(length, note.duration));
      countIn(counts, bin < 0 ? NOTE_LENGTH_BINS.length : bin);
    }
  }
  const labels = [...NOTE_LENGTH_BINS.map((r) => (r.d === 1 ? String(r.n) : `${r.n}/${r.d}`)), "other"];
  return { labels, counts };
}

/**
 * Overlapping area of two histograms, each normalised to sum 1: Σ min(pᵢ, qᵢ), so 1 for the
 * same shape and 0 for no bin in common. Two empty histograms describe the same (nothing) and
 * overlap 1; an empty and a non-empty one overlap 0.
 */
export function histogramOverlap(a: Histogram, b: Histogram): number {
  if (a.counts.length !== b.counts.length) {
    throw new RangeError(`histograms have ${a.counts.length} and ${b.counts.length} bins`);
  }
  const totalA = total(a.counts);
  const totalB = total(b.counts);
  if (totalA === 0 || totalB === 0) return totalA === totalB ? 1 : 0;
  return a.counts.reduce((sum, count, i) => sum + Math.min(count / totalA, (b.counts[i] ?? 0) / totalB), 0);
}

function countIn(counts: number[], bin: number): void {
  counts[bin] = (counts[bin] ?? 0) + 1;
}

function total(counts: readonly number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

/** Whether the last sounding note is the key's tonic (in any octave); false without notes. */
export function endsOnTonic(tune: Tune): boolean {
  const last = soundingNotes(tune).at(-1);
  return last !== undefined && pitchClass(midiOf(last.pitch)) === tonicPitchClass(tune.key.tonic);
}

export function tonicPitchClass(tonic: Tonic): number {
  return pitchClass(STEP_SEMITONES[tonic.step] + tonic.alter);
}
