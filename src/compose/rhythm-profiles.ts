import { readFileSync } from "node:fs";
import { type RhythmProfile, untypicalLengths } from "../music/rhythm-profile.js";
import { meterName, type Tune } from "../music/tune.js";
import type { TuneType } from "../music/tune-type.js";
import { shippedModelFile } from "./shipped.js";

export const RHYTHM_PROFILES_FORMAT = "tunesmith-rhythm-profiles/1";
const SHIPPED_FILE = "rhythm-profiles.json";

/** The training split's rhythm profiles (src/music/rhythm-profile.ts), per type and meter. */
export class RhythmProfiles {
  constructor(readonly profiles: readonly RhythmProfile[]) {}

  static fromJSON(json: unknown): RhythmProfiles {
    const data = json as { format?: unknown; profiles?: unknown };
    if (data?.format !== RHYTHM_PROFILES_FORMAT || !Array.isArray(data.profiles))
      throw new Error(`not a ${RHYTHM_PROFILES_FORMAT} file`);
    return new RhythmProfiles(data.profiles as RhythmProfile[]);
  }

  /** The profiles shipped in the project's models/ folder; undefined when they are missing. */
  static shipped(): RhythmProfiles | undefined {
    const file = shippedModelFile(SHIPPED_FILE);
    return file ? RhythmProfiles.fromJSON(JSON.parse(readFileSync(file, "utf8"))) : undefined;
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
