import { transposeChord } from "./chord.js";
import { intervalBetween, type Tonic } from "./key.js";
import { transposePitch } from "./pitch.js";
import type { Tune } from "./tune.js";

/** Moves a tune to another tonic (same mode), spelling every note in the new key. */
export function transposeTo(tune: Tune, tonic: Tonic): Tune {
  const interval = intervalBetween(tune.key.tonic, tonic);
  if (interval.steps === 0 && interval.semitones === 0) return tune;
  return {
    ...tune,
    key: { tonic, mode: tune.key.mode },
    elements: tune.elements.map((e) => {
      const chord =
        (e.kind === "note" || e.kind === "rest") && e.chord
          ? { chord: transposeChord(e.chord, interval) }
          : {};
      return e.kind === "note"
        ? { ...e, pitch: transposePitch(e.pitch, interval), ...chord }
        : { ...e, ...chord };
    }),
  };
}
