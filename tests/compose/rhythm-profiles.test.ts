import { describe, expect, it } from "vitest";
import { RhythmProfiles } from "../../src/compose/rhythm-profiles.js";
import { STYLE_NAMES, STYLES, type Style } from "../../src/compose/styles.js";
import { meterName } from "../../src/music/tune.js";

describe("the shipped rhythm profiles", () => {
  it("cover every style composed with a tune type, in the style's meter", () => {
    const shipped = RhythmProfiles.shipped();
    if (!shipped) throw new Error("models/rhythm-profiles.json is missing: run npm run rhythm-profiles");
    for (const name of STYLE_NAMES) {
      const style: Style = STYLES[name];
      if (!style.rhythm) continue;
      const profile = shipped.profiles.find(
        (p) => p.type === style.rhythm && p.meter === meterName(style.meter),
      );
      expect(profile, name).toBeDefined();
      expect(Object.keys(profile?.ranges ?? {}).length, name).toBeGreaterThan(0);
    }
  });

  it("refuse a file of another format", () => {
    expect(() => RhythmProfiles.fromJSON({ format: "tunesmith-form-templates/1", profiles: [] })).toThrow(
      /not a tunesmith-rhythm-profiles\/1 file/,
    );
  });
});
