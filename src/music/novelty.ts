import { soundingNotes } from "./features.js";
import { midiOf } from "./pitch.js";
import { formatRational } from "./rational.js";
import type { Tune } from "./tune.js";

/**
 * How much of a tune is copied from the tunes the model learned from: the longest run of
 * consecutive notes it shares with any of them. Notes are compared as (interval from the
 * previous note, length), so a run copied in another key still counts.
 */
export interface SharedRun {
  /** Consecutive notes shared (0 when not even one interval is). */
  readonly notes: number;
  /** Title of the training tune it shares them with. */
  readonly with?: string;
}

const SEED_LENGTH = 6;

export class NoveltyIndex {
  private readonly sequences: string[][] = [];
  private readonly titles: string[] = [];
  private readonly seeds = new Map<string, [number, number][]>();

  constructor(tunes: readonly Tune[]) {
    for (const tune of tunes) {
      const seq = symbols(tune);
      const t = this.sequences.length;
      this.sequences.push(seq);
      this.titles.push(tune.title);
      for (let i = 0; i + SEED_LENGTH <= seq.length; i++) {
        const key = seq.slice(i, i + SEED_LENGTH).join(" ");
        const list = this.seeds.get(key);
        if (list) list.push([t, i]);
        else this.seeds.set(key, [[t, i]]);
      }
    }
  }

  /** The longest run `tune` shares with an indexed tune (runs shorter than 7 notes count as 0). */
  longestShared(tune: Tune): SharedRun {
    const seq = symbols(tune);
    let best: SharedRun = { notes: 0 };
    for (let i = 0; i + SEED_LENGTH <= seq.length; i++) {
      for (const [t, j] of this.seeds.get(seq.slice(i, i + SEED_LENGTH).join(" ")) ?? []) {
        const other = this.sequences[t] as string[];
        let k = SEED_LENGTH;
        while (i + k < seq.length && j + k < other.length && seq[i + k] === other[j + k]) k++;
        // k intervals join k + 1 notes.
        if (k + 1 > best.notes) best = { notes: k + 1, with: this.titles[t] as string };
      }
    }
    return best;
  }
}

/** "+2:1/8" per note after the first: interval in semitones and sounding length. */
function symbols(tune: Tune): string[] {
  const notes = soundingNotes(tune);
  const out: string[] = [];
  for (let i = 1; i < notes.length; i++) {
    const step =
      midiOf((notes[i] as (typeof notes)[number]).pitch) -
      midiOf((notes[i - 1] as (typeof notes)[number]).pitch);
    out.push(`${step}:${formatRational((notes[i] as (typeof notes)[number]).duration)}`);
  }
  return out;
}
