import { type ChordSymbol, tonicPitchClass } from "../chord.js";
import { type Key, modeScale } from "../key.js";
import { type Tune, withoutChords } from "../tune.js";
import { harmonise } from "./harmonise.js";
import { segmentTune } from "./segments.js";
import { type HarmonyTables, stateQuality } from "./tables.js";

/**
 * How often the harmoniser agrees with the chords a person wrote, per half bar, next to
 * two baselines: the tonic chord everywhere, and the diatonic triad that covers the most
 * of the melody in each half bar.
 */
export interface Agreement {
  /** Same root and the same triad (major, minor, diminished, augmented; sevenths aside). */
  readonly sameChord: number;
  /** Same root. */
  readonly sameRoot: number;
}

export interface AgreementReport {
  readonly tunes: number;
  /** Half bars compared: those with a written chord, the pickup aside. */
  readonly segments: number;
  readonly harmoniser: Agreement;
  readonly tonic: Agreement;
  readonly diatonic: Agreement;
}

/** Triad family of a chord: what "the same chord" compares. */
function family(chord: ChordSymbol): string {
  const q = stateQuality(chord.quality);
  return q === "7" ? "maj" : q;
}

export function measureAgreement(tunes: readonly Tune[], tables: HarmonyTables): AgreementReport {
  const tally = { segments: 0, h: [0, 0], t: [0, 0], d: [0, 0] };
  const score = (slot: number[], human: ChordSymbol, root: number, fam: string) => {
    if (root !== tonicPitchClass(human.root)) return;
    slot[1] = (slot[1] ?? 0) + 1;
    if (fam === family(human)) slot[0] = (slot[0] ?? 0) + 1;
  };
  for (const tune of tunes) {
    const human = segmentTune(tune, tables.params.onBeatWeight);
    const ours = segmentTune(harmonise(withoutChords(tune), tables), tables.params.onBeatWeight);
    const tonic = tonicPitchClass(tune.key.tonic);
    const tonicFamily = isMinorLike(tune.key) ? "min" : "maj";
    const triads = diatonicTriads(tune.key);
    let lastTriad = triads[0] as Triad;
    human.forEach((segment, i) => {
      const written = segment.written;
      if (!written || segment.pickup) return;
      tally.segments++;
      const mine = ours[i]?.written;
      if (mine) score(tally.h, written, tonicPitchClass(mine.root), family(mine));
      score(tally.t, written, tonic, tonicFamily);
      if (segment.notes.length > 0) lastTriad = bestCover(triads, segment.notes);
      score(tally.d, written, lastTriad.root, lastTriad.family);
    });
  }
  const share = (slot: number[]): Agreement => ({
    sameChord: (slot[0] ?? 0) / Math.max(1, tally.segments),
    sameRoot: (slot[1] ?? 0) / Math.max(1, tally.segments),
  });
  return {
    tunes: tunes.length,
    segments: tally.segments,
    harmoniser: share(tally.h),
    tonic: share(tally.t),
    diatonic: share(tally.d),
  };
}

function isMinorLike(key: Key): boolean {
  return modeScale(key.mode)[2] === 3;
}

interface Triad {
  readonly root: number;
  readonly family: string;
  readonly tones: readonly number[];
}

/** The seven triads built on the key's scale, tonic first. */
function diatonicTriads(key: Key): Triad[] {
  const scale = modeScale(key.mode);
  const tonic = tonicPitchClass(key.tonic);
  return scale.map((_, degree) => {
    const tones = [0, 2, 4].map((k) => ((scale[(degree + k) % 7] ?? 0) + tonic) % 12);
    const [root = 0, third = 0, fifth = 0] = tones;
    const t3 = (third - root + 12) % 12;
    const t5 = (fifth - root + 12) % 12;
    const fam = t3 === 4 ? (t5 === 8 ? "aug" : "maj") : t5 === 6 ? "dim" : "min";
    return { root, family: fam, tones };
  });
}

/** The triad holding the most melody weight; ties go to the earlier degree (the tonic first). */
function bestCover(triads: readonly Triad[], notes: readonly { pc: number; weight: number }[]): Triad {
  let best = triads[0] as Triad;
  let bestWeight = -1;
  for (const triad of triads) {
    const w = notes.reduce((a, n) => a + (triad.tones.includes(n.pc) ? n.weight : 0), 0);
    if (w > bestWeight + 1e-9) {
      best = triad;
      bestWeight = w;
    }
  }
  return best;
}
