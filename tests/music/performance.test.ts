import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { C_MAJOR } from "../../src/music/key.js";
import { verifyMidi } from "../../src/music/midi-verify.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { HORNPIPE_SWING, performNotes, playOrder, VELOCITY } from "../../src/music/performance.js";
import { formatRational, rat } from "../../src/music/rational.js";
import type { Meter, Tune } from "../../src/music/tune.js";
import { els } from "../helpers/score.js";

function tune(text: string, meter: Meter = { num: 4, den: 4 }, unit = rat(1, 8)): Tune {
  return { title: "T", meter, unitLength: unit, key: C_MAJOR, elements: els(text, unit) };
}

/** Compact rendering of performed notes: "midi@start+duration". */
function played(t: Tune): string[] {
  return performNotes(t).map((n) => `${n.midi}@${formatRational(n.start)}+${formatRational(n.duration)}`);
}
const pitches = (t: Tune) => performNotes(t).map((n) => n.midi);

describe("playOrder / performNotes: repeats and endings", () => {
  it("plays a repeated section twice, then goes on", () => {
    // C4=60 D4=62 E4=64 F4=65
    expect(pitches(tune("|: C4:4 D4:4 :| E4:4 F4:4 |]"))).toEqual([60, 62, 60, 62, 64, 65]);
  });

  it("repeats from the tune start when there is no |:", () => {
    expect(pitches(tune("C4:8 | D4:8 :| E4:8 :|"))).toEqual([60, 62, 60, 62, 64, 64]);
  });

  it("takes first and second endings on the right passes", () => {
    const t = tune("|: C4:4 D4:4 | [1 E4:8 :| [2 F4:8 |] G4:8 |]");
    expect(pitches(t)).toEqual([60, 62, 64, 60, 62, 65, 67]);
    expect(played(t)).toEqual([
      "60@0+1/2",
      "62@1/2+1/2",
      "64@1+1",
      "60@2+1/2",
      "62@5/2+1/2",
      "65@3+1",
      "67@4+1",
    ]);
  });

  it("gives each section its own endings", () => {
    const t = tune("|: C4:8 | [1 D4:8 :| [2 E4:8 || |: F4:8 | [1 G4:8 :| [2 A4:8 |]");
    expect(pitches(t)).toEqual([60, 62, 60, 64, 65, 67, 65, 69]);
  });

  it("treats :: as end of one repeat and start of the next", () => {
    expect(pitches(tune("|: C4:8 :: D4:8 :| E4:8 |]"))).toEqual([60, 60, 62, 62, 64]);
  });

  it("restarts the section after || and after a passed :|", () => {
    expect(pitches(tune("C4:8 || D4:8 :| E4:8 :|"))).toEqual([60, 62, 62, 64, 64]);
  });

  it("skips a second ending on the first pass and a first ending that runs to a section end", () => {
    expect(pitches(tune("[2 C4:8 || D4:8 |]"))).toEqual([62]);
    expect(pitches(tune("|: C4:8 | [1 D4:8 | E4:8 :| F4:8 |]"))).toEqual([60, 62, 64, 60, 65]);
  });

  it("terminates on malformed repeat structures, jumping back at most once per repeat bar", () => {
    expect(pitches(tune(":| :| C4:8 :| :: :|"))).toEqual([60, 60]);
    expect(playOrder(els("[1 [2 :| [1 :|")).length).toBeLessThan(20);
  });
});

describe("performNotes: ties, rests, timing", () => {
  it("merges tied notes of the same pitch, across bar lines", () => {
    expect(played(tune("C4:4 D4:4- | D4:2- D4:2 E4:4"))).toEqual(["60@0+1/2", "62@1/2+1", "64@3/2+1/2"]);
  });

  it("does not merge a tie to a different pitch or across a rest", () => {
    expect(played(tune("C4:2- D4:2 E4:2- z:2 E4:2"))).toEqual([
      "60@0+1/4",
      "62@1/4+1/4",
      "64@1/2+1/4",
      "64@1+1/4",
    ]);
  });

  it("advances time over rests and keeps tuplet durations as written", () => {
    const t = tune("z:2 C4:2 z:4 | C4:2/3 D4:2/3 E4:2/3 F4:6");
    expect(played(t)).toEqual(["60@1/4+1/4", "60@1+1/12", "62@13/12+1/12", "64@7/6+1/12", "65@5/4+3/4"]);
  });
});

describe("performNotes: velocities", () => {
  it("accents downbeats, then beats, then off-beats, all within 1..127", () => {
    const v = performNotes(tune("C4 D4 E4 F4 G4 A4 B4 C5 | C5 B4 A4 G4 F4 E4 D4 C4")).map((n) => n.velocity);
    const { downbeat: S, beat: M, offbeat: W } = VELOCITY;
    expect(v).toEqual([S, W, M, W, M, W, M, W, S, W, M, W, M, W, M, W]);
    expect(S).toBeGreaterThan(M);
    expect(M).toBeGreaterThan(W);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...v)).toBeLessThanOrEqual(127);
  });

  it("counts a pickup as the end of a bar", () => {
    const v = performNotes(tune("G4 A4 | B4:4 C5:2 D5:2 | E5:8 |]")).map((n) => n.velocity);
    // pickup eighths sit on beat 4 (on the beat, then off it); then downbeat, beat 3, beat 4, downbeat
    expect(v).toEqual([
      VELOCITY.beat,
      VELOCITY.offbeat,
      VELOCITY.downbeat,
      VELOCITY.beat,
      VELOCITY.beat,
      VELOCITY.downbeat,
    ]);
  });

  it("uses dotted-quarter beats in 6/8", () => {
    const v = performNotes(tune("C4 D4 E4 F4 G4 A4 | B4:3 C5:3", { num: 6, den: 8 })).map((n) => n.velocity);
    const { downbeat: S, beat: M, offbeat: W } = VELOCITY;
    expect(v).toEqual([S, W, W, M, W, W, S, M]);
  });

  it("plays a part's short last bar and the pickup after the repeat as one bar", () => {
    // 3/4: pickup C4 on beat 3; the last bar E4 (two beats) is completed by the pickup played again.
    const v = performNotes(tune("C4:2 | D4:6 | E4:4 :|", { num: 3, den: 4 })).map((n) => n.velocity);
    expect(v).toEqual([
      VELOCITY.beat,
      VELOCITY.downbeat,
      VELOCITY.downbeat,
      VELOCITY.beat,
      VELOCITY.downbeat,
      VELOCITY.downbeat,
    ]);
    // The same with the next part's own pickup after the short bar: on beat 3, not a downbeat.
    const parts = performNotes(tune("C4:2 | D4:6 | E4:4 :| G4:2 | A4:6 | B4:4 :|", { num: 3, den: 4 }));
    expect(parts.map((n) => n.velocity).slice(6)).toEqual([
      VELOCITY.beat,
      VELOCITY.downbeat,
      VELOCITY.downbeat,
      VELOCITY.beat,
      VELOCITY.downbeat,
      VELOCITY.downbeat,
    ]);
  });
});

describe("swing (hornpipes)", () => {
  it("lengthens the first eighth of each pair and keeps every quarter beat in place", () => {
    const t = parseAbc("X:1\nM:4/4\nL:1/8\nK:D\nABcd e2 f2|]\n");
    const swung = performNotes(t, { swing: HORNPIPE_SWING });
    expect(swung.map((n) => formatRational(n.start))).toEqual(["0", "3/20", "1/4", "2/5", "1/2", "3/4"]);
    expect(swung.map((n) => formatRational(n.duration))).toEqual([
      "3/20",
      "1/10",
      "3/20",
      "1/10",
      "1/4",
      "1/4",
    ]);
    const bytes = tuneToMidi(t, { swing: HORNPIPE_SWING });
    expect(() => verifyMidi(bytes, performNotes(t, { swing: HORNPIPE_SWING }))).not.toThrow();
  });
});
