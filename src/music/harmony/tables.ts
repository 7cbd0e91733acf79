import type { ChordQuality } from "../chord.js";
import type { Mode } from "../key.js";

/**
 * The learned harmony model: a hidden Markov model whose states are chords relative to
 * the key's tonic (a root degree in semitones and a quality), whose observations are the
 * melody's pitch classes in each half bar. Stored as log probabilities in a small JSON file.
 */

export const STATE_QUALITIES = ["maj", "min", "7", "dim", "aug"] as const;
export type StateQuality = (typeof STATE_QUALITIES)[number];

/** Chords the model tells apart: sixths and major sevenths are major, m7 and m6 minor. */
export function stateQuality(q: ChordQuality): StateQuality {
  switch (q) {
    case "min":
    case "m7":
    case "m6":
      return "min";
    case "7":
    case "dim":
    case "aug":
      return q;
    default:
      return "maj";
  }
}

export interface ChordState {
  /** Root, semitones above the tonic (0..11). */
  readonly degree: number;
  readonly quality: StateQuality;
}

export function stateName(s: ChordState): string {
  return `${s.degree}:${s.quality}`;
}

export function parseStateName(name: string): ChordState {
  const [degree = "0", quality = "maj"] = name.split(":");
  if (!(STATE_QUALITIES as readonly string[]).includes(quality))
    throw new RangeError(`bad chord state ${name}`);
  return { degree: Number(degree), quality: quality as StateQuality };
}

/** Major-like modes share one set of transitions, minor-like modes another. */
export type ModeClass = "major" | "minor";

export function modeClass(mode: Mode): ModeClass {
  return mode === "major" || mode === "mixolydian" || mode === "lydian" ? "major" : "minor";
}

/** Where a segment sits: a chord change is likelier on a bar's start, cadences sit in a part's last bar. */
export const CONTEXTS = ["mid", "bar", "finalMid", "finalBar"] as const;
export type Context = (typeof CONTEXTS)[number];

export function contextOf(segment: { barStart: boolean; finalBar: boolean }): Context {
  if (segment.finalBar) return segment.barStart ? "finalBar" : "finalMid";
  return segment.barStart ? "bar" : "mid";
}

export interface ModeTables {
  /** log P(first chord). */
  readonly initial: readonly number[];
  /** log P(chord | previous chord, context): [context][from][to]. */
  readonly transitions: Readonly<Record<Context, readonly (readonly number[])[]>>;
}

export interface HarmonyTables {
  readonly format: 1;
  /** Where the counts came from, and under which licence. */
  readonly provenance: string;
  readonly trained: { readonly tunes: number; readonly segments: number; readonly date: string };
  readonly params: {
    /** Multiplies the melody's log likelihood against the transitions'. */
    readonly emissionScale: number;
    /** How much more a note starting on a beat counts. */
    readonly onBeatWeight: number;
    /** Dirichlet weight pulling each transition row towards its backoff. */
    readonly smoothing: number;
  };
  /** State names, `degree:quality`. */
  readonly states: readonly string[];
  /** log P(melody pitch class, semitones above the root | quality). */
  readonly emission: Readonly<Record<StateQuality, readonly number[]>>;
  readonly modes: Readonly<Record<ModeClass, ModeTables>>;
}
