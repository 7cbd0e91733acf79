import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { rhythmFeatures, STRUCTURE_FEATURES, structureFeatures } from "../../src/music/descriptors.js";
import { NoveltyIndex } from "../../src/music/novelty.js";

const tune = (title: string, body: string, header = "M:4/4\nL:1/8\nK:D") =>
  parseAbc(`X:1\nT:${title}\n${header}\n${body}\n`);

describe("notes shared with the tunes the model learned", () => {
  const known = tune("Known", "DEFG ABcd|efga bagf|edcB AGFE|D8|]");
  const index = new NoveltyIndex([known, tune("Other", "A2A2 B2B2|c8|]")]);

  it("finds a copied run in another key, and names the tune", () => {
    // The first 8 notes of Known, a tone higher, then something else.
    const copy = tune("Copy", "EFGA Bcde|f2f2 f4|]", "M:4/4\nL:1/8\nK:E");
    expect(index.longestShared(copy)).toEqual({ notes: 8, with: "Known" });
  });

  it("counts nothing for a tune that shares no run of seven notes", () => {
    expect(index.longestShared(tune("New", "DFAd DFAd|c2B2 A4|]")).notes).toBe(0);
  });
});

describe("descriptors of whole tunes", () => {
  it("describe structure: returns, parts, cadence", () => {
    const f = structureFeatures(tune("t", "|:DFAF DFAF|GBdB GBdB|DFAF DFAF|A2F2 D4:|"));
    expect(f).toHaveLength(STRUCTURE_FEATURES.length);
    const at = (name: (typeof STRUCTURE_FEATURES)[number]) => f[STRUCTURE_FEATURES.indexOf(name)];
    expect(at("parts")).toBe(1);
    expect(at("bars repeating an earlier bar")).toBeCloseTo(1 / 3);
    expect(at("ends on the tonic")).toBe(1);
  });

  it("tell a dotted hornpipe from a straight reel in the same meter", () => {
    const reel = rhythmFeatures(tune("r", "DFAF DFAF|GBdB GBdB|]", "M:2/2\nL:1/8\nK:D"));
    const hornpipe = rhythmFeatures(tune("h", "D>FA>F D>FA>F|G>Bd>B G>Bd>B|]", "M:2/2\nL:1/8\nK:D"));
    expect(reel).toHaveLength(hornpipe.length);
    expect(hornpipe).not.toEqual(reel);
  });
});
