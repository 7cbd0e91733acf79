import { type RhythmProfile, untypicalLengths } from "../music/rhythm-profile.js";
import { meterName, type Tune } from "../music/tune.js";
import type { TuneType } from "../music/tune-type.js";
import { shippedTable, tableFrom } from "./shipped.js";

export const RHYTHM_PROFILES_FORMAT = "tunesmith-rhythm-profiles/1";
const SHIPPED_FILE = "rhythm-profiles.json";

/** The training split's rhythm profiles (src/music/rhythm-profile.ts), per type and meter. */
export class RhythmProfiles {
  constructor(readonly profiles: readonly RhythmProfile[]) {}

  static fromJSON(json: unknown): RhythmProfiles {
    return new RhythmProfiles(tableFrom<RhythmProfile>(json, RHYTHM_PROFILES_FORMAT, "profiles"));
  }

  /** The profiles shipped in the project's models/ folder; undefined when they are missing. */
  static shipped(): RhythmProfiles | undefined {
    const profiles = shippedTable<RhythmProfile>(SHIPPED_FILE, RHYTHM_PROFILES_FORMAT, "profiles");
    return profiles && new RhythmProfiles(profiles);
  }

  /**
   * Does the tune's mix of note lengths fall within the ranges real tunes of the type show
   * in its meter? True when there is no profile to judge by.
   */
  movesLike(tune: Tune, type: TuneType): boolean {
    const meter = meterName(tune.meter);
    const profile = this.profiles.find((p) => p.type === type && p.meter === meter);
    return !profile || untypicalLengths(tune, profile).length === 0;
  }
}
