import { mul, rat, toNumber } from "./rational.js";
import { meterName, type Tune } from "./tune.js";
import type { TuneType } from "./tune-type.js";

/**
 * The mix of note lengths tunes of a type have in a meter, as real tunes show it: per tune,
 * the share of its notes of each length, and the range (10th to 90th percentile) those
 * shares take among the type's training tunes. A polka is mostly eighths with a steady
 * dose of sixteenths, a 2/4 air swings between long notes and runs, a reel is nearly all
 * eighths: a tune whose mix falls outside its type's ranges does not move like the type.
 *
 * Lengths are written lengths in 48ths of a whole note (a sixteenth is 3, an eighth 6);
 * notes inside tuplets are left out.
 */
export const RHYTHM_GRID = 48;

export interface RhythmProfile {
  /** "2/4" */
  readonly meter: string;
  readonly type: TuneType;
  readonly tunes: number;
  /**
   * Per length (grid units) whose share of a tune's notes averages MIN_SHARE or more among
   * the type's tunes: the [10th, 90th] percentile of that share.
   */
  readonly ranges: Readonly<Record<string, readonly [number, number]>>;
}

/** Types with fewer tunes in a meter get no profile there: percentiles of a handful mean little. */
export const MIN_PROFILE_TUNES = 20;
const MIN_SHARE = 0.03;

/** Share of the tune's notes and rests (outside tuplets) of each length, until its meter first changes. */
export function lengthShares(tune: Tune): Map<number, number> {
  const counts = new Map<number, number>();
  const grid = rat(RHYTHM_GRID);
  let inTuplet = 0;
  let total = 0;
  for (const e of tune.elements) {
    if (e.kind === "meter") break;
    if (e.kind === "tuplet") inTuplet = e.r;
    if (e.kind !== "note" && e.kind !== "rest") continue;
    if (inTuplet > 0) {
      inTuplet--;
      continue;
    }
    const length = toNumber(mul(e.duration, grid));
    counts.set(length, (counts.get(length) ?? 0) + 1);
    total++;
  }
  return new Map([...counts].map(([length, n]) => [length, n / Math.max(1, total)]));
}

/** One profile per type and meter with at least MIN_PROFILE_TUNES tunes. */
export function rhythmProfiles(tunes: readonly Tune[]): RhythmProfile[] {
  const groups = new Map<string, { meter: string; type: TuneType; shares: Map<number, number>[] }>();
  for (const tune of tunes) {
    if (!tune.rhythm) continue;
    const meter = meterName(tune.meter);
    const key = `${tune.rhythm} ${meter}`;
    const group = groups.get(key) ?? { meter, type: tune.rhythm, shares: [] };
    group.shares.push(lengthShares(tune));
    groups.set(key, group);
  }
  const profiles: RhythmProfile[] = [];
  for (const { meter, type, shares } of groups.values()) {
    if (shares.length < MIN_PROFILE_TUNES) continue;
    const lengths = new Set(shares.flatMap((s) => [...s.keys()]));
    const ranges: Record<string, readonly [number, number]> = {};
    for (const length of [...lengths].sort((a, b) => a - b)) {
      const per = shares.map((s) => s.get(length) ?? 0).sort((a, b) => a - b);
      if (per.reduce((a, b) => a + b, 0) / per.length < MIN_SHARE) continue;
      ranges[String(length)] = [percentile(per, 0.1), percentile(per, 0.9)];
    }
    profiles.push({ meter, type, tunes: shares.length, ranges });
  }
  return profiles.sort((a, b) => `${a.meter} ${a.type}`.localeCompare(`${b.meter} ${b.type}`));
}

/** Lengths whose share in the tune falls outside the profile's range (none: the tune moves like the type). */
export function untypicalLengths(tune: Tune, profile: RhythmProfile): number[] {
  const shares = lengthShares(tune);
  return Object.entries(profile.ranges)
    .filter(([length, [lo, hi]]) => {
      const share = shares.get(Number(length)) ?? 0;
      return share < lo || share > hi;
    })
    .map(([length]) => Number(length));
}

/** The value below which `q` of the sorted values lie (nearest rank). */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
