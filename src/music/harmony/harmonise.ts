import { type ChordQuality, type ChordSymbol, sameChord, tonicPitchClass, transposeChord } from "../chord.js";
import type { Key } from "../key.js";
import type { Interval } from "../pitch.js";
import { type Tune, type TuneElement, withoutChords } from "../tune.js";
import { type Segment, segmentTune } from "./segments.js";
import { type ChordState, contextOf, type HarmonyTables, modeClass, parseStateName } from "./tables.js";

/**
 * Gives a melody chords: Viterbi decoding of the harmony HMM over the tune's half bars.
 * The notes are untouched; chord symbols are written on the first note or rest of a bar
 * and wherever the chord changes. A pickup before the first bar gets none (players let
 * the melody lead in), and a half bar without a note starting in it keeps its chord.
 */
export function harmonise(tune: Tune, tables: HarmonyTables): Tune {
  const bare = withoutChords(tune);
  const segments = segmentTune(bare, tables.params.onBeatWeight);
  const chosen = decode(segments, bare.key, tables);
  const chords = new Map<number, ChordSymbol>();
  let previous: ChordSymbol | undefined;
  segments.forEach((segment, t) => {
    const state = chosen[t];
    if (state === undefined || segment.element === undefined) return;
    const chord = chordOf(state, bare.key);
    if (segment.barStart || !sameChord(chord, previous)) chords.set(segment.element, chord);
    previous = chord;
  });
  return {
    ...bare,
    elements: bare.elements.map((e, i): TuneElement => {
      const chord = chords.get(i);
      return chord && (e.kind === "note" || e.kind === "rest") ? { ...e, chord } : e;
    }),
  };
}

/** The most likely chord of every segment (undefined for the pickup). */
export function decode(
  segments: readonly Segment[],
  key: Key,
  tables: HarmonyTables,
): (ChordState | undefined)[] {
  const states = tables.states.map(parseStateName);
  const S = states.length;
  const mode = tables.modes[modeClass(key.mode)];
  const tonic = tonicPitchClass(key.tonic);
  const scale = tables.params.emissionScale;
  const emit = (segment: Segment): number[] =>
    states.map((s) => {
      const table = tables.emission[s.quality];
      let score = 0;
      for (const n of segment.notes) score += n.weight * (table[(n.pc - tonic - s.degree + 24) % 12] ?? -20);
      return scale * score;
    });

  const body = segments.map((s, t) => ({ s, t })).filter(({ s }) => !s.pickup);
  const result: (ChordState | undefined)[] = segments.map(() => undefined);
  if (body.length === 0 || S === 0) return result;
  const back: Int32Array[] = [];
  let delta = emit((body[0] as (typeof body)[number]).s).map((e, i) => e + (mode.initial[i] ?? -Infinity));
  for (let k = 1; k < body.length; k++) {
    const { s } = body[k] as (typeof body)[number];
    const e = emit(s);
    const pointers = new Int32Array(S);
    const next = new Array<number>(S);
    if (s.element === undefined) {
      // Nowhere to write a change: the chord goes on.
      for (let j = 0; j < S; j++) {
        next[j] = (delta[j] ?? -Infinity) + (e[j] ?? 0);
        pointers[j] = j;
      }
    } else {
      const a = mode.transitions[contextOf(s)];
      for (let j = 0; j < S; j++) {
        let best = -Infinity;
        let arg = 0;
        for (let i = 0; i < S; i++) {
          const v = (delta[i] ?? -Infinity) + (a[i]?.[j] ?? -Infinity);
          if (v > best) {
            best = v;
            arg = i;
          }
        }
        next[j] = best + (e[j] ?? 0);
        pointers[j] = arg;
      }
    }
    back.push(pointers);
    delta = next;
  }
  let state = delta.indexOf(Math.max(...delta));
  for (let k = body.length - 1; k >= 0; k--) {
    result[(body[k] as (typeof body)[number]).t] = states[state];
    if (k > 0) state = (back[k - 1] as Int32Array)[state] ?? 0;
  }
  return result;
}

/** How each root degree is spelled: V of D is A, ♭VII of D is C, ♭III of E minor is G. */
const DEGREE_INTERVALS: readonly Interval[] = [
  { steps: 0, semitones: 0 },
  { steps: 1, semitones: 1 },
  { steps: 1, semitones: 2 },
  { steps: 2, semitones: 3 },
  { steps: 2, semitones: 4 },
  { steps: 3, semitones: 5 },
  { steps: 3, semitones: 6 },
  { steps: 4, semitones: 7 },
  { steps: 5, semitones: 8 },
  { steps: 5, semitones: 9 },
  { steps: 6, semitones: 10 },
  { steps: 6, semitones: 11 },
];

export function chordOf(state: ChordState, key: Key): ChordSymbol {
  const quality: ChordQuality = state.quality;
  const interval = DEGREE_INTERVALS[state.degree] ?? { steps: 0, semitones: 0 };
  return transposeChord({ root: key.tonic, quality }, interval);
}
