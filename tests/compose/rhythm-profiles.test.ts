import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadComposer } from "../../src/compose/composer.js";
import { validateRequest } from "../../src/compose/request.js";
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

  it("are what a loaded composer judges its candidates by", async () => {
    const shipped = RhythmProfiles.shipped() as RhythmProfiles;
    const modelDir = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));
    const composer = await loadComposer(modelDir, "wasm");
    try {
      const request = validateRequest({ style: "polka", seedValue: 1, chords: "off" });
      const { candidates, chosen, tune } = await composer.compose(request, { audio: false, score: false });
      // Some sampled polkas do not move like real ones (about 6 in 10 do not); the chosen one does.
      expect(candidates.some((c) => !c.movesLikeType)).toBe(true);
      expect(candidates[chosen]?.movesLikeType).toBe(true);
      expect(shipped.movesLike(tune, "polka")).toBe(true);
    } finally {
      composer.dispose();
    }
  }, 60_000);

  it("refuse a file of another format", () => {
    expect(() => RhythmProfiles.fromJSON({ format: "tunesmith-form-templates/1", profiles: [] })).toThrow(
      /not a tunesmith-rhythm-profiles\/1 file/,
    );
  });
});
