import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TuneGrammar } from "../../src/compose/grammar.js";
import { type StepModel, sampleCandidates } from "../../src/compose/sampler.js";
import { barCount, checkStructure } from "../../src/compose/structure.js";
import { buildTokenTable } from "../../src/compose/token-table.js";
import { Rng } from "../../src/model/rng.js";
import type { StepperState } from "../../src/model/sampler-step.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { BOS, EOS, tokensToTune } from "../../src/music/tokens.js";
import { Vocabulary } from "../../src/music/vocabulary.js";

const vocabulary = Vocabulary.fromJSON(
  JSON.parse(readFileSync("models/folk-styles-2x256/vocab.json", "utf8")),
);
const table = buildTokenTable(vocabulary);
const METERS = vocabulary.tokens.filter((t) => t.startsWith("M:"));

/** A stand-in model: logits from a function of the previous token; no real state. */
function fakeModel(logitsFor: (previous: number, rng: Rng) => Float32Array, seed = 1): StepModel {
  const rng = new Rng(seed);
  return {
    step(ids: Int32Array) {
      const rows = [...ids].map((id) => logitsFor(id, rng));
      const logits = new Float32Array(rows.length * vocabulary.size);
      for (const [b, r] of rows.entries()) logits.set(r, b * vocabulary.size);
      const state: StepperState = { batch: ids.length, h: [], c: [] };
      return { logits, state };
    },
  };
}

const noise = () =>
  fakeModel((_, rng) => Float32Array.from({ length: vocabulary.size }, () => rng.normal() * 3));

/** Prefers, by a wide margin, whatever breaks a tune: ending early, tiny notes, tuplets, ties, repeats. */
const saboteur = () => {
  const bad = ["</s>", "|]", "/4", "(9:3:9", "(5:2:5", "-", "[1", "::", "z", "7/4"].map(
    (t) => vocabulary.id(t) as number,
  );
  return fakeModel((_, rng) => {
    const logits = Float32Array.from({ length: vocabulary.size }, () => rng.normal());
    for (const id of bad) logits[id] = 25 + rng.next();
    return logits;
  });
};

function generate(
  model: StepModel,
  meter: string,
  bars: number,
  seed: number,
  extra: { deadline?: number } = {},
) {
  const [num, den] = meter.slice(2).split("/").map(Number) as [number, number];
  const grammar = new TuneGrammar(table, {
    barUnits: (num * table.unitsPerWhole) / den,
    bars,
    allowPickup: true,
  });
  const maxTokens = bars * 48;
  const candidates = sampleCandidates(model, {
    grammar,
    start: grammar.start(),
    prompt: vocabulary.encode([BOS, meter, "K:major"]),
    candidates: 4,
    temperature: 1,
    topP: 1,
    rng: new Rng(seed),
    maxTokens,
    ...extra,
  });
  return candidates.map((c) => {
    const tokens = vocabulary.decode(c.ids);
    expect(tokens.at(-1)).toBe(EOS);
    expect(c.ids.length).toBeLessThanOrEqual(maxTokens);
    return {
      tune: tokensToTune([meter, "K:major", ...tokens], { title: "Test" }),
      hurried: c.hurried,
      tokens,
    };
  });
}

describe("constrained decoding", () => {
  it.each(METERS)("writes well-formed tunes in %s from a random model", (meter) => {
    for (const [bars, seed] of [
      [4, 1],
      [7, 2],
      [16, 3],
    ] as const) {
      for (const { tune } of generate(noise(), meter, bars, seed)) {
        const report = checkStructure(tune, bars);
        expect(report.problems).toEqual([]);
        // Written as ABC it reads back as the same tune.
        expect(parseAbc(tuneToAbc(tune))).toEqual(tune);
      }
    }
  });

  it("keeps tunes well-formed when the model strongly prefers breaking them", () => {
    for (const meter of ["M:6/8", "M:2/2", "M:9/8", "M:3/4"]) {
      for (const { tune, tokens } of generate(saboteur(), meter, 8, 5)) {
        expect(checkStructure(tune, 8).problems).toEqual([]);
        expect(barCount(tune)).toBe(8);
        // The saboteur's favourites that are legal do get used: it is constrained, not replaced.
        expect(tokens.filter((t) => t === "/4" || t === "-" || t.startsWith("(")).length).toBeGreaterThan(0);
      }
    }
  });

  it("finishes by the shortest way once past the deadline", () => {
    const results = generate(saboteur(), "M:6/8", 32, 9, { deadline: -1 });
    for (const { tune, hurried, tokens } of results) {
      expect(hurried).toBe(true);
      expect(checkStructure(tune, 32).problems).toEqual([]);
      // Two tokens per bar line and note pair at most, well below the budget.
      expect(tokens.length).toBeLessThan(32 * 6);
    }
  });

  it("never lets a tie land on another pitch or a rest", () => {
    const tie = vocabulary.id("-") as number;
    const model = fakeModel((_, rng) => {
      const logits = Float32Array.from({ length: vocabulary.size }, () => rng.normal() * 2);
      logits[tie] = 6;
      return logits;
    });
    for (const { tune } of generate(model, "M:4/4", 8, 11)) {
      const els = tune.elements.filter((e) => e.kind === "note" || e.kind === "rest");
      els.forEach((e, i) => {
        if (e.kind === "note" && e.tie) {
          const next = els[i + 1];
          expect(next?.kind).toBe("note");
          if (next?.kind === "note") expect(next.pitch).toEqual(e.pitch);
        }
      });
    }
  });

  it("refuses impossible requests instead of looping", () => {
    expect(() => new TuneGrammar(table, { barUnits: 0, bars: 4, allowPickup: true })).toThrow();
    expect(() => new TuneGrammar(table, { barUnits: 960, bars: 0, allowPickup: true })).toThrow(
      /at least one bar/,
    );
  });
});
