import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CandidateReport,
  ComposeError,
  type ComposerModel,
  generateTune,
} from "../../src/compose/generate.js";
import { type ComposeInput, validateRequest } from "../../src/compose/request.js";
import { RhythmProfiles } from "../../src/compose/rhythm-profiles.js";
import { SeedError } from "../../src/compose/seed.js";
import { checkStructure } from "../../src/compose/structure.js";
import { STYLE_NAMES } from "../../src/compose/styles.js";
import { buildTokenTable } from "../../src/compose/token-table.js";
import { initBackend } from "../../src/model/backend.js";
import { disposeWeights } from "../../src/model/lstm-weights.js";
import { loadModelDir } from "../../src/model/model-dir.js";
import { createStepper, type Stepper } from "../../src/model/sampler-step.js";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { checkBars } from "../../src/music/bar-check.js";
import { endsOnTonic } from "../../src/music/features.js";
import { analyseForm } from "../../src/music/form.js";
import { importTune } from "../../src/music/import.js";
import { estimateElementsKey, sameKey } from "../../src/music/key-estimate.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { rat } from "../../src/music/rational.js";
import type { Tune } from "../../src/music/tune.js";
import { expectPartPickups } from "./pickups.js";

const shipped = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));
const fixtures = parseAbcFile(
  readFileSync(new URL("../fixtures/tunes.abc", import.meta.url), "utf8"),
).flatMap((p) => (p.result.ok ? [p.result.tune] : []));

let model: ComposerModel;
let stepper: Stepper;
let release: () => void;
beforeAll(async () => {
  await initBackend("wasm");
  const loaded = await loadModelDir(shipped);
  stepper = createStepper(loaded.weights);
  model = {
    name: "folk-styles-2x256",
    vocabulary: loaded.vocabulary,
    table: buildTokenTable(loaded.vocabulary),
    stepper,
  };
  release = () => disposeWeights(loaded.weights);
});
afterAll(() => {
  stepper.dispose();
  release();
});

const compose = (input: ComposeInput, options = {}) =>
  generateTune(model, validateRequest({ candidates: 2, bars: 8, seedValue: 1, ...input }), options);

/** The chosen candidate is the likeliest of those best by the checks, in their order. */
function expectLikeliestPreferred(candidates: readonly CandidateReport[], chosen: number): void {
  const preferred = (pool: CandidateReport[], test: (c: CandidateReport) => boolean) =>
    pool.some(test) ? pool.filter(test) : pool;
  let pool = candidates.filter((c) => c.ok);
  pool = preferred(pool, (c) => c.keepsKey);
  pool = preferred(pool, (c) => c.movesLikeType);
  const mostCadences = Math.max(...pool.map((c) => c.cadences));
  const best = pool.filter((c) => c.cadences === mostCadences);
  expect(candidates[chosen]?.bitsPerToken).toBe(Math.min(...best.map((c) => c.bitsPerToken)));
}

/** The seed as it is kept: a closing |] becomes || so the continuation can follow. */
const asKept = (seed: Tune) =>
  seed.elements.map((e, i) =>
    i === seed.elements.length - 1 && e.kind === "bar" && e.bar === "|]" ? { ...e, bar: "||" } : e,
  );

describe("generating a tune", () => {
  it("writes the requested meter, key and number of bars", () => {
    for (const [style, key, meter] of [
      ["jig", "A dorian", { num: 6, den: 8 }],
      ["reel", "G major", { num: 2, den: 2 }],
      ["waltz", "E minor", { num: 3, den: 4 }],
      ["slip jig", "D mixolydian", { num: 9, den: 8 }],
    ] as const) {
      const { tune, candidates, chosen } = compose({ style, key, bars: 12 });
      expect(tune.meter).toEqual(meter);
      expect(tune.key).toEqual(validateRequest({ key }).key);
      expect(checkStructure(tune, 12).problems).toEqual([]);
      expect(candidates).toHaveLength(2);
      expect(candidates[chosen]?.ok).toBe(true);
      expect(tune.title).not.toBe("");
    }
  });

  it("picks the likeliest candidate among those in the key with the most parts closing on tonic or dominant", () => {
    let sawPreference = false;
    for (const seedValue of [1, 2, 3, 4, 5]) {
      const { candidates, chosen, tune } = compose({ candidates: 6, seedValue });
      expectLikeliestPreferred(candidates, chosen);
      expect(candidates[chosen]?.cadences).toBe(analyseForm(tune).cadenceShare);
      expect(candidates[chosen]?.endsOnTonic).toBe(endsOnTonic(tune));
      expect(candidates[chosen]?.keepsKey).toBe(sameKey(estimateElementsKey(tune.elements), tune.key));
      if (Math.min(...candidates.map((c) => c.bitsPerToken)) < (candidates[chosen]?.bitsPerToken ?? 0))
        sawPreference = true;
    }
    // At least once a likelier candidate lost to one in the key or with better closes.
    expect(sawPreference).toBe(true);
  });

  it("prefers, after the key, candidates whose mix of note lengths is typical of their type", () => {
    // A profile some sampled polkas meet and some do not: at least 70% eighths.
    const profiles = new RhythmProfiles([
      { meter: "2/4", type: "polka", tunes: 20, ranges: { 6: [0.7, 1] } },
    ]);
    const typed: ComposerModel = { ...model, rhythmProfiles: profiles };
    let sawPreference = false;
    for (const seedValue of [1, 2, 3, 4, 5]) {
      const request = validateRequest({ style: "polka", candidates: 6, bars: 8, seedValue });
      const { candidates, chosen, tune } = generateTune(typed, request);
      expectLikeliestPreferred(candidates, chosen);
      expect(candidates[chosen]?.movesLikeType).toBe(profiles.movesLike(tune, "polka"));
      const inKey = candidates.filter((c) => c.ok && c.keepsKey);
      if (inKey.some((c) => !c.movesLikeType && c.bitsPerToken < (candidates[chosen]?.bitsPerToken ?? 0)))
        sawPreference = true;
    }
    expect(sawPreference).toBe(true);
    // Without profiles, or for a style composed from its meter alone, nothing is judged.
    expect(compose({ style: "polka", candidates: 3 }).candidates.every((c) => c.movesLikeType)).toBe(true);
    const march = generateTune(
      typed,
      validateRequest({ style: "march", candidates: 3, bars: 8, seedValue: 1 }),
    );
    expect(march.candidates.every((c) => c.movesLikeType)).toBe(true);
  });

  it("is reproducible with the same seed value, and varies with another", () => {
    const a = compose({ style: "jig", seedValue: 42 });
    const b = compose({ style: "jig", seedValue: 42 });
    const c = compose({ style: "jig", seedValue: 43 });
    expect(b.tune).toEqual(a.tune);
    expect(c.tune.elements).not.toEqual(a.tune.elements);
  });

  it("keeps every candidate within the token budget, and refuses a budget no tune fits", () => {
    const input = { candidates: 4, bars: 8, seedValue: 5 };
    const free = generateTune(model, validateRequest(input, { maxBars: 64, tokensPerBar: 48 }));
    expect(Math.max(...free.candidates.map((c) => c.tokens))).toBeGreaterThan(56);
    const tight = generateTune(model, validateRequest(input, { maxBars: 64, tokensPerBar: 7 }));
    expect(tight.candidates.every((c) => c.tokens <= 56)).toBe(true);
    expect(checkStructure(tight.tune, 8).problems).toEqual([]);

    const impossible = validateRequest({ bars: 8, seedValue: 5 }, { maxBars: 64, tokensPerBar: 1 });
    const error = (() => {
      try {
        generateTune(model, impossible);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).code).toBe("token-limit");
    expect((error as Error).message).toMatch(
      /^8 bars need at least \d+ tokens, more than this bot's limit of 8/,
    );
  });

  it("closes the tune early but well-formed when out of time", () => {
    const { tune, notes } = compose({ bars: 32 }, { timeLimitMs: 0 });
    expect(checkStructure(tune, 32).problems).toEqual([]);
    expect(notes.join(" ")).toMatch(/early close/);
  });
});

describe("composing in a form", () => {
  const partsOf = (t: Tune) => {
    const form = analyseForm(t);
    const parts = form.partBars.map((_, p) =>
      form.bars.filter((b) => b.part === p).map((b) => b.content.join(" ")),
    );
    return { form, parts };
  };

  it.each(STYLE_NAMES)(
    "honours AABB in the meter of a %s: two repeated parts of the bars asked for",
    (style) => {
      const { tune } = compose({ style, form: "AABB", bars: 8 });
      expect(checkStructure(tune, 8).problems).toEqual([]);
      const { form } = partsOf(tune);
      expect(form.partBars).toEqual([4, 4]);
      expect(form.partRepeats).toEqual([true, true]);
      expect(tune.elements.filter((e) => e.kind === "ending")).toEqual([]);
      // A pickup opens every part and is played again at each repeat: each part's last bar
      // is short by it.
      expectPartPickups(tune, 4);
    },
  );

  it("writes a returning part out again, note for note", () => {
    const { tune } = compose({ style: "jig", form: "ABAC", bars: 16 });
    const { form, parts } = partsOf(tune);
    expect(form.partBars).toEqual([4, 4, 4, 4]);
    expect(form.partRepeats).toEqual([false, false, false, false]);
    // Parts open with a pickup of the model's own; the returning bars follow it.
    expect(parts[2]?.slice(0, 3)).toEqual(parts[0]?.slice(0, 3));
    expect(tune.elements.at(-1)).toEqual({ kind: "bar", bar: "|]" });
  });

  it("gives three parts for AABBCC and returns to earlier bars as real tunes do", () => {
    const { tune } = compose({ style: "reel", form: "AABBCC", bars: 24, candidates: 4 });
    const { form } = partsOf(tune);
    expect(form.partBars).toEqual([8, 8, 8]);
    expect(form.partRepeats).toEqual([true, true, true]);
    expect(form.barRepeatShare).toBeGreaterThan(0.1);
  });

  it("conditions on the style's tune type where the model knows it, and writes it as R:", () => {
    expect(compose({ style: "hornpipe" }).tune.rhythm).toBe("hornpipe");
    expect(compose({ style: "polka" }).tune.rhythm).toBe("polka");
    // The corpus has no marches: composed from the meter alone.
    expect(compose({ style: "march" }).tune.rhythm).toBeUndefined();
  });

  it("uses the style's usual form and length when none is asked for", () => {
    // Airs are AB in 233 of 246 tunes; this seed value draws AB (the draw is tested in request.test.ts).
    const request = validateRequest({ style: "air", seedValue: 5 });
    expect([request.form.name, request.bars, request.partBars]).toEqual(["AB", 16, 8]);
    const { tune } = generateTune(model, { ...request, candidates: 2 });
    expect(partsOf(tune).form.partBars).toEqual([8, 8]);
  });
});

describe("continuing a seed", () => {
  it.each(fixtures.map((t) => [t.title, t] as const))(
    "keeps %s verbatim and continues in its meter and key",
    (_, seed) => {
      const { tune, generatedFrom } = compose({ seed, bars: 8 });
      expect(tune.elements.slice(0, generatedFrom)).toEqual(asKept(seed));
      expect(tune.meter).toEqual(seed.meter);
      expect(tune.key).toEqual(seed.key);
      const continuation = { ...tune, elements: tune.elements.slice(generatedFrom) };
      expect(checkStructure(continuation).problems).toEqual([]);
    },
  );

  it("answers a one-part seed with its next part, repeated as the seed was", () => {
    const seed = parseAbc("X:1\nT:One part\nM:6/8\nL:1/8\nK:G\n|:GAB dBG|AGA BGE|GAB dBG|AGF G3:|\n");
    const request = validateRequest({ seed, candidates: 2, seedValue: 4 });
    expect(request.bars).toBe(4);
    const { tune } = generateTune(model, request);
    const form = analyseForm(tune);
    expect(form.partBars).toEqual([4, 4]);
    expect(form.partRepeats).toEqual([true, true]);
    // Two one-part seeds of 8 bars ask for 8 more: whatever the request's usual length.
    const eight = parseAbc(
      `X:1\nT:Eight\nM:2/2\nL:1/8\nK:D\n${"DFAF DFAF|GBdB GBdB|".repeat(3)}DFAF DFAF|A2F2 D4||\n`,
    );
    expect(validateRequest({ seed: eight }).bars).toBe(8);
  });

  it("opens the next part with the pickup the seed's part opens with, and closes it short by it", () => {
    // A hornpipe part: pickup "dc", its last bar short by it (G2 G2 G2), repeated.
    const seed = parseAbc(
      "X:1\nT:Pickup part\nM:2/2\nL:1/8\nR:hornpipe\nK:G\n|:dc|BGDG BGDG|EDEG B2dc|BGDG BGDG|dcBA G2G2|BGDG BGDG|EDEG B2dc|BdgB ABcA|G2G2G2:|\n",
    );
    const request = validateRequest({ seed, candidates: 2, seedValue: 4 });
    expect(request.bars).toBe(8);
    const { tune, generatedFrom } = generateTune(model, request);
    expect(checkStructure(tune).problems).toEqual([]);
    expect(analyseForm(tune).partBars).toEqual([8, 8]);
    expect(expectPartPickups(tune, 8)).toBe("1/4");
    // The new part starts with its own pickup, then its bars.
    const next = tune.elements.slice(generatedFrom);
    expect(next.findIndex((e) => e.kind === "bar")).toBeGreaterThan(0);
  });

  it("continues mid-bar and across a tie", () => {
    const seed = parseAbc("X:1\nT:Tied\nM:6/8\nL:1/8\nK:G\nGAB c2d|e3-");
    const { tune, generatedFrom } = compose({ seed });
    expect(tune.elements.slice(0, generatedFrom)).toEqual(seed.elements);
    const next = tune.elements[generatedFrom];
    expect(next).toMatchObject({ kind: "note", pitch: { step: 2, octave: 5, alter: 0 } });
    const continuation = { ...tune, elements: tune.elements.slice(generatedFrom) };
    expect(checkStructure(continuation).problems).toEqual([]);
  });

  it("continues a MIDI upload", () => {
    const seed = importTune(tuneToMidi(fixtures[0] as Tune)).tune;
    const { tune, generatedFrom } = compose({ seed });
    expect(generatedFrom).toBeGreaterThan(0);
    expect(tune.meter).toEqual(seed.meter);
  });

  it("moves an out-of-range seed by octaves to prime the model, and says so", () => {
    const seed = parseAbc("X:1\nT:High\nM:2/4\nL:1/8\nK:C\nc''d''e''f'' | g''f''e''d'' |");
    const { tune, generatedFrom, notes } = compose({ seed });
    expect(tune.elements.slice(0, generatedFrom)).toEqual(seed.elements);
    expect(notes.join(" ")).toMatch(/1 octave lower/);
    // The continuation comes back up to the seed's register (the model itself never goes above g').
    const octaves = tune.elements
      .slice(generatedFrom)
      .flatMap((e) => (e.kind === "note" ? [e.pitch.octave] : []));
    expect(Math.max(...octaves)).toBeGreaterThanOrEqual(7);
  });

  it("continues a seed that changes meter in its last meter, keeping the whole seed, and says so", () => {
    // 5/4 is not in the model's vocabulary: only the last meter primes the model.
    const seed = parseAbc("X:1\nT:Changes\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|\nM:6/8\ndfa afd|[M:3/4]d2f2a2|");
    const { tune, generatedFrom, notes } = compose({ seed });
    expect(tune.elements.slice(0, generatedFrom)).toEqual(seed.elements);
    expect(tune.meter).toEqual({ num: 5, den: 4 });
    expect(tune.elements.slice(generatedFrom).some((e) => e.kind === "meter")).toBe(false);
    expect(checkBars(tune).ok).toBe(true);
    expect(notes.join(" ")).toMatch(
      /changes meter, which the model cannot do: it continued in the seed's last meter, 3\/4/,
    );
    // Too long to prime with: trimmed to its last bars, all in the last meter.
    const long = parseAbc(`X:1\nT:Long\nM:2/4\nL:1/8\nK:D\ndf af|\nM:6/8\n${"dfa afd|".repeat(80)}`);
    const trimmed = compose({ seed: long });
    expect(trimmed.tune.meter).toEqual({ num: 6, den: 8 });
    expect(trimmed.tune.elements.some((e) => e.kind === "meter")).toBe(false);
    expect(trimmed.notes.join(" ")).toMatch(/continued from its last \d+ bars/);
  });

  it("trims a long seed to its last bars, and says so", () => {
    const bar = "dfa afd|";
    const seed = parseAbc(`X:1\nT:Long\nM:6/8\nL:1/8\nK:D\n${bar.repeat(80)}`);
    const { tune, generatedFrom, notes } = compose({ seed });
    expect(notes.join(" ")).toMatch(/continued from its last \d+ bars/);
    expect(generatedFrom).toBeLessThan(seed.elements.length);
    expect(tune.elements.slice(0, generatedFrom)).toEqual(seed.elements.slice(-generatedFrom));
  });

  it.each([
    [
      "in 5/4",
      parseAbc("X:1\nT:Five\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|"),
      /5\/4, which the model has not learned/,
    ],
    [
      "of rests only",
      { ...(fixtures[0] as Tune), elements: [{ kind: "rest", duration: rat(3, 4) }] },
      /no notes/,
    ],
    ["out of every octave", parseAbc("X:1\nT:Wide\nM:2/4\nL:1/8\nK:C\nC,,,C'''C,,,C'''|"), /cannot write/],
  ] as const)("refuses a seed %s", (_, seed, message) => {
    expect(() => compose({ seed: seed as Tune })).toThrow(SeedError);
    expect(() => compose({ seed: seed as Tune })).toThrow(message);
  });

  it("keeps the seed's key when asked for another", () => {
    const seed = fixtures[1] as Tune;
    const { tune } = compose({ seed, key: "C major" });
    expect(tune.key).toEqual(seed.key);
  });
});
