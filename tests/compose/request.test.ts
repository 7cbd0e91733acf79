import { describe, expect, it } from "vitest";
import { DEFAULT_REQUEST_LIMITS, LIMITS, RequestError, validateRequest } from "../../src/compose/request.js";
import { STYLE_NAMES } from "../../src/compose/styles.js";
import { INSTRUMENTS } from "../../src/render/instruments.js";

const problems = (input: Parameters<typeof validateRequest>[0]): readonly string[] => {
  try {
    validateRequest(input);
  } catch (e) {
    if (e instanceof RequestError) return e.problems;
    throw e;
  }
  return [];
};

describe("compose requests", () => {
  it("fills in defaults, with a random seed value when none is given", () => {
    const r = validateRequest({}, DEFAULT_REQUEST_LIMITS, () => 0.5);
    expect(r).toMatchObject({
      temperature: 1,
      style: "reel",
      key: { tonic: { step: 1, alter: 0 }, mode: "major" },
      partBars: 8,
      instrument: "fiddle",
      tempo: 100,
      topP: 1,
      candidates: LIMITS.candidates.default,
      seedValue: 2 ** 31,
    });
    // 8 bars a part, as many parts as the form drawn for this seed value has.
    expect(r.bars).toBe(8 * r.form.sections.length);
    expect(r.maxTokens).toBe(r.bars * DEFAULT_REQUEST_LIMITS.tokensPerBar);
  });

  it("draws the form from those tunes of the style have, in their proportions, fitting the bars asked for", () => {
    const count = (input: object) => {
      const seen: Record<string, number> = {};
      for (let seedValue = 0; seedValue < 2000; seedValue++) {
        const name = validateRequest({ ...input, seedValue }).form.name;
        seen[name] = (seen[name] ?? 0) + 1;
      }
      return seen;
    };
    // Reels: AB 207, AABB 169, ABC 14 tunes in the corpus.
    const reels = count({ style: "reel" });
    expect(Object.keys(reels).sort()).toEqual(["AABB", "AB", "ABC"]);
    expect((reels.AB as number) / 2000).toBeCloseTo(207 / 390, 1);
    expect((reels.ABC as number) / 2000).toBeCloseTo(14 / 390, 1);
    // 16 bars cannot be three equal parts: only AB and AABB remain.
    expect(Object.keys(count({ style: "reel", bars: 16 })).sort()).toEqual(["AABB", "AB"]);
    // The same seed value gives the same form (Another one keeps it explicitly anyway).
    expect(validateRequest({ seedValue: 7 }).form).toEqual(validateRequest({ seedValue: 7 }).form);
    // Slip jigs have parts of 4 bars.
    expect(validateRequest({ style: "slip jig", seedValue: 1 }).partBars).toBe(4);
  });

  it("applies the operator's limits: fewer bars allowed, and a token budget per bar asked for", () => {
    const limits = { maxBars: 8, tokensPerBar: 20 };
    expect(() => validateRequest({ bars: 9 }, limits)).toThrow(
      "bars must be a whole number from 4 to 8 (got 9)",
    );
    expect(validateRequest({ bars: 6 }, limits)).toMatchObject({ bars: 6, maxTokens: 120 });
    // The usual default of 16 bars would be over the limit: the default becomes the limit.
    expect(validateRequest({}, limits).bars).toBe(8);
    // No operator can offer more than the slash command does.
    expect(() => validateRequest({ bars: 65 }, { maxBars: 1000, tokensPerBar: 48 })).toThrow(
      "bars must be a whole number from 4 to 64",
    );
  });

  it("accepts strings as a command line gives them, and style names loosely written", () => {
    const r = validateRequest({
      temperature: "1.5",
      style: "Slip-Jig",
      key: "a dorian",
      bars: "24",
      tempo: "120",
      seedValue: "7",
    });
    expect(r).toMatchObject({ temperature: 1.5, style: "slip jig", bars: 24, tempo: 120, seedValue: 7 });
    expect(r.key).toEqual({ tonic: { step: 5, alter: 0 }, mode: "dorian" });
    expect(validateRequest({ key: "F#m" }).key).toEqual({ tonic: { step: 3, alter: 1 }, mode: "minor" });
  });

  it.each([
    [{ temperature: 0 }, "temperature must be a number from 0.1 to 3 (got 0)"],
    [{ temperature: 3.5 }, "temperature must be a number from 0.1 to 3"],
    [{ temperature: "hot" }, "temperature must be a number from 0.1 to 3 (got hot)"],
    [{ bars: 3 }, "bars must be a whole number from 4 to 64 (got 3)"],
    [{ bars: 65 }, "bars must be a whole number from 4 to 64"],
    [{ bars: 12.5 }, "bars must be a whole number from 4 to 64"],
    [{ tempo: 10 }, "tempo must be a number from 30 to 300"],
    [{ topP: 0 }, "topP must be a number from 0.1 to 1"],
    [{ candidates: 0 }, "candidates must be a whole number from 1 to 16"],
    [{ candidates: 17 }, "candidates must be a whole number from 1 to 16"],
    [{ seedValue: -1 }, "seedValue must be a whole number from 0 to 4294967295"],
    [{ seedValue: 1.5 }, "seedValue must be a whole number"],
    [{ style: "tango" }, `style must be one of ${STYLE_NAMES.join(", ")} (got "tango")`],
    [{ instrument: "theremin" }, `instrument must be one of ${Object.keys(INSTRUMENTS).join(", ")}`],
    [{ key: "H major" }, 'key must be a tonic and a mode, e.g. "D", "E minor"'],
    [{ key: "D phrygian" }, "(modes: major, minor, dorian, mixolydian)"],
    [{ key: "D ^g" }, "key must be a tonic and a mode"],
  ])("rejects %j, naming what is allowed", (input, message) => {
    const found = problems(input);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it("reports every problem at once", () => {
    const found = problems({ temperature: 9, bars: 1, style: "disco", key: "X" });
    expect(found).toHaveLength(4);
    expect(() => validateRequest({ bars: 1 })).toThrow(/bars must be/);
  });
});
