import { tonicPitchClass } from "../chord.js";
import type { Tune } from "../tune.js";
import { segmentTune } from "./segments.js";
import {
  CONTEXTS,
  type Context,
  contextOf,
  type HarmonyTables,
  type ModeClass,
  modeClass,
  STATE_QUALITIES,
  type StateQuality,
  stateName,
  stateQuality,
} from "./tables.js";

export interface TrainOptions {
  readonly emissionScale?: number;
  readonly onBeatWeight?: number;
  readonly smoothing?: number;
  /** Chords seen fewer times are left out of the model (typos, one-off colours). */
  readonly minCount?: number;
  readonly provenance?: string;
  readonly date?: string;
}

export const DEFAULT_TRAIN_OPTIONS = {
  emissionScale: 1,
  onBeatWeight: 2,
  smoothing: 5,
  minCount: 5,
} as const;

interface Labelled {
  readonly mode: ModeClass;
  readonly segments: {
    state?: string;
    context: Context;
    pickup: boolean;
    notes: { rel: number; weight: number }[];
  }[];
}

/** Counts chords against the melody in chord-annotated tunes: maximum likelihood, smoothed. */
export function trainHarmony(tunes: readonly Tune[], options: TrainOptions = {}): HarmonyTables {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const labelled: Labelled[] = tunes.map((tune) => {
    const tonic = tonicPitchClass(tune.key.tonic);
    return {
      mode: modeClass(tune.key.mode),
      segments: segmentTune(tune, o.onBeatWeight).map((s) => {
        const root = s.written ? (tonicPitchClass(s.written.root) - tonic + 12) % 12 : 0;
        return {
          ...(s.written
            ? { state: stateName({ degree: root, quality: stateQuality(s.written.quality) }) }
            : {}),
          context: contextOf(s),
          pickup: s.pickup,
          notes: s.notes.map((n) => ({
            rel: (n.pc - tonic - root + 24) % 12,
            weight: n.weight,
          })),
        };
      }),
    };
  });

  const stateCounts = new Map<string, number>();
  for (const t of labelled)
    for (const s of t.segments)
      if (s.state && !s.pickup) stateCounts.set(s.state, (stateCounts.get(s.state) ?? 0) + 1);
  const states = [...stateCounts]
    .filter(([, n]) => n >= o.minCount)
    .sort((a, b) => b[1] - a[1])
    .map(([name]) => name);
  const index = new Map(states.map((name, i) => [name, i]));
  const S = states.length;

  const emissionCounts = Object.fromEntries(
    STATE_QUALITIES.map((q) => [q, new Array<number>(12).fill(0.5)]),
  ) as Record<StateQuality, number[]>;
  const zeros = () => Array.from({ length: S }, () => new Array<number>(S).fill(0));
  const pairs = {
    major: Object.fromEntries(CONTEXTS.map((c) => [c, zeros()])),
    minor: Object.fromEntries(CONTEXTS.map((c) => [c, zeros()])),
  } as Record<ModeClass, Record<Context, number[][]>>;
  const initial = { major: new Array<number>(S).fill(0), minor: new Array<number>(S).fill(0) };
  let segments = 0;

  for (const t of labelled) {
    let previous: number | undefined;
    let started = false;
    for (const s of t.segments) {
      if (s.pickup) continue;
      const i = s.state !== undefined ? index.get(s.state) : undefined;
      if (i === undefined) {
        previous = undefined;
        continue;
      }
      segments++;
      const quality = s.state?.split(":")[1] as StateQuality;
      for (const n of s.notes) bump(emissionCounts[quality], n.rel, n.weight);
      if (!started) bump(initial[t.mode], i, 1);
      started = true;
      if (previous !== undefined) {
        bump(pairs[t.mode][s.context][previous] as number[], i, 1);
      }
      previous = i;
    }
  }

  const emission = Object.fromEntries(
    STATE_QUALITIES.map((q) => [q, logNormalise(emissionCounts[q])]),
  ) as Record<StateQuality, number[]>;
  const modeTables = (mode: ModeClass) => ({
    initial: logNormalise(addScaled(initial[mode], smoothedUnigram(initial.major, initial.minor), 1)),
    transitions: Object.fromEntries(
      CONTEXTS.map((c) => [c, transitionRows(pairs[mode][c], pairs, c, o.smoothing)]),
    ) as Record<Context, number[][]>,
  });
  const modes = { major: modeTables("major"), minor: modeTables("minor") };

  return {
    format: 1,
    provenance: o.provenance ?? "",
    trained: { tunes: tunes.length, segments, date: o.date ?? new Date().toISOString().slice(0, 10) },
    params: { emissionScale: o.emissionScale, onBeatWeight: o.onBeatWeight, smoothing: o.smoothing },
    states,
    emission,
    modes,
  };
}

/**
 * Each row is pulled towards a backoff: half the same transition in both mode classes
 * together (minor tunes are few), half how often each chord appears in this context.
 */
function transitionRows(
  own: number[][],
  all: Record<ModeClass, Record<Context, number[][]>>,
  context: Context,
  smoothing: number,
): number[][] {
  const S = own.length;
  const uni = new Array<number>(S).fill(0.1);
  for (const row of own) {
    row.forEach((n, j) => {
      bump(uni, j, n);
    });
  }
  const uniP = normalise(uni);
  return own.map((row, i) => {
    const pooled = normalise(
      (all.major[context][i] as number[]).map(
        (n, j) => n + ((all.minor[context][i] as number[])[j] ?? 0) + 0.01,
      ),
    );
    const backoff = pooled.map((p, j) => 0.5 * p + 0.5 * (uniP[j] ?? 0));
    return logNormalise(addScaled(row, backoff, smoothing));
  });
}

function bump(xs: number[], i: number, by: number): void {
  xs[i] = (xs[i] ?? 0) + by;
}

function smoothedUnigram(a: number[], b: number[]): number[] {
  return normalise(a.map((n, i) => n + (b[i] ?? 0) + 0.1));
}

function addScaled(counts: readonly number[], prior: readonly number[], weight: number): number[] {
  return counts.map((n, i) => n + weight * (prior[i] ?? 0));
}

function normalise(xs: readonly number[]): number[] {
  const total = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => x / total);
}

function logNormalise(xs: readonly number[]): number[] {
  return normalise(xs).map((p) => Math.log(p));
}
