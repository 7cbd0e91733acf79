import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { checkBars, describeBarProblem } from "../../src/music/bar-check.js";

const check = (body: string, meter = "6/8") => checkBars(parseAbc(`X:1\nM:${meter}\nL:1/8\nK:G\n${body}\n`));

describe("bar check", () => {
  it("accepts full bars, a pickup and its complement before a repeat", () => {
    expect(check("D|G2A BAG|A2B c2d:|").ok).toBe(true);
    expect(check("|:D|G2A BAG|A2B c2d:|\n|:d|g2a bag|a2b c2d:|").ok).toBe(true);
  });

  it("accepts short bars at first and second endings and counts bars", () => {
    const report = check("G2A BAG|1 A2B c3:|2 A2B c2||");
    expect(report).toEqual({ ok: true, bars: 3, problems: [] });
  });

  it("counts triplets exactly", () => {
    expect(check("(3ABc d2 e4|(3ABc (3def g4|]", "4/4").ok).toBe(true);
  });

  it("flags a long bar anywhere and a short bar mid-section", () => {
    const report = check("G2A BAG|A2B c2de|G2A BA|G2A BAG|]");
    expect(report.ok).toBe(false);
    expect(report.problems.map(describeBarProblem)).toEqual([
      "bar 2 lasts 7/8 of a whole note, expected 3/4 (too-long)",
      "bar 3 lasts 5/8 of a whole note, expected 3/4 (too-short)",
    ]);
  });
});
