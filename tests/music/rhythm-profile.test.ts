import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import {
  lengthShares,
  MIN_PROFILE_TUNES,
  rhythmProfiles,
  untypicalLengths,
} from "../../src/music/rhythm-profile.js";
import type { TuneType } from "../../src/music/tune-type.js";

const tune = (body: string, type: TuneType = "polka", meter = "2/4") =>
  parseAbc(`X:1\nT:t\nR:${type}\nM:${meter}\nL:1/8\nK:D\n${body}\n`);

describe("a tune's mix of note lengths", () => {
  it("is the share of its notes and rests of each length, in 48ths of a whole note, tuplets left out", () => {
    // z B (an eighth rest, an eighth), c/ d/ (sixteenths), e (eighth) | f2 (quarter), a triplet.
    const shares = lengthShares(tune("zB c/d/e | f2 (3gfe |]"));
    expect(Object.fromEntries(shares)).toEqual({ 6: 3 / 6, 3: 2 / 6, 12: 1 / 6 });
  });
});

describe("rhythm profiles of tune types", () => {
  // Polkas: eighths with one or two sixteenth pairs a tune; one type too few to profile.
  const polkas = Array.from({ length: MIN_PROFILE_TUNES }, (_, i) =>
    tune(i % 2 === 0 ? "AB cd | ef g2 | A/B/c dB | A2 A2 |]" : "AB cd | e/f/g fe | dB A/B/c | d2 d2 |]"),
  );
  const airs = Array.from({ length: MIN_PROFILE_TUNES - 1 }, () => tune("A4 | B2 c2 |]", "air"));
  const profiles = rhythmProfiles([...polkas, ...airs]);

  it("give each type with enough tunes in a meter the range of each common length's share", () => {
    expect(profiles.map((p) => [p.type, p.meter, p.tunes])).toEqual([["polka", "2/4", MIN_PROFILE_TUNES]]);
    const ranges = profiles[0]?.ranges ?? {};
    // The two kinds of tune: 2, 9 and 3 of 14 notes sixteenths, eighths and quarters; 4, 10 and 2 of 16.
    expect(ranges["3"]).toEqual([2 / 14, 4 / 16]);
    expect(ranges["6"]).toEqual([10 / 16, 9 / 14]);
    expect(ranges["12"]).toEqual([2 / 16, 3 / 14]);
  });

  it("tell a tune that moves like the type from one that does not, naming the lengths out of range", () => {
    const profile = profiles[0];
    if (!profile) throw new Error("no profile");
    // Other notes, the mix of the first kind.
    expect(untypicalLengths(tune("dB AF | ed c2 | B/c/d ef | e2 e2 |]"), profile)).toEqual([]);
    // Sixteenth runs, as a 2/4 hornpipe: too many sixteenths, too few eighths.
    expect(untypicalLengths(tune("A/B/c/d/ e2 | f/g/a/g/ f2 |]"), profile)).toEqual([3, 6]);
    // Long notes, as an air: no sixteenths, too many quarters.
    expect(untypicalLengths(tune("A2 B2 | c2 d2 | e2 dc | d4 |]"), profile)).toEqual([3, 6, 12]);
  });
});
