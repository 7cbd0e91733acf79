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
import { expectPartPickups } from "./pickups.js";

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
  extra: { deadline?: number; partEnds?: readonly number[] } = {},
) {
  const [num, den] = meter.slice(2).split("/").map(Number) as [number, number];
  const grammar = new TuneGrammar(table, {
    barUnits: (num * table.unitsPerWhole) / den,
    bars,
    allowPickup: true,
    ...(extra.partEnds ? { partEnds: extra.partEnds } : {}),
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
    ...(extra.deadline !== undefined ? { deadline: extra.deadline } : {}),
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

  it.each(METERS)("opens every part with the opening pickup and closes it short by it, in %s", (meter) => {
    const pickups = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      for (const { tune } of generate(noise(), meter, 12, seed, { partEnds: [4, 8] })) {
        expect(checkStructure(tune, 12).problems).toEqual([]);
        expect(barCount(tune)).toBe(12);
        pickups.add(expectPartPickups(tune, 4));
      }
    }
    // Random models open with a pickup now and then, and sometimes without one.
    expect(pickups.has("0")).toBe(true);
    expect(pickups.size).toBeGreaterThan(1);
  });

  it("closes parts with full bars when the vocabulary has no section bar line for a short one", () => {
    const plain = Vocabulary.fromJSON({
      format: "tunesmith-vocab/1",
      tokens: vocabulary.tokens.filter((t) => !["::", ":|", "|:", "||", "[1", "[2"].includes(t)),
    });
    const plainTable = buildTokenTable(plain);
    const grammar = new TuneGrammar(plainTable, {
      barUnits: plainTable.unitsPerWhole,
      bars: 8,
      allowPickup: true,
      partEnds: [4],
    });
    const rng = new Rng(3);
    for (let run = 0; run < 20; run++) {
      let state = grammar.start();
      let budget = 8 * 48;
      while (!state.finished) {
        const allowed = grammar.allowed(state, budget);
        const choices = [...allowed.keys()].filter((id) => allowed[id] === 1);
        expect(choices.length).toBeGreaterThan(0);
        state = grammar.next(
          state,
          choices[Math.floor(rng.next() * choices.length)] as number,
        ) as typeof state;
        budget--;
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

describe("guidance towards the prompt's conditioning", () => {
  const A = vocabulary.id("A") as number;
  const typed = vocabulary.id("R:jig") as number;
  /** Logits fixed by the previous token; after the type token, "A" is favoured. */
  const logitsAfter = (previous: number) => {
    const logits = Float32Array.from({ length: vocabulary.size }, (_, v) => Math.sin(previous * 31 + v) * 2);
    if (previous === typed) logits[A] = (logits[A] as number) + 1.5;
    return logits;
  };
  const model = fakeModel((previous) => logitsAfter(previous));
  const sample = (weight: number, seed: number) => {
    const grammar = new TuneGrammar(table, {
      barUnits: (6 * table.unitsPerWhole) / 8,
      bars: 2,
      allowPickup: false,
    });
    return sampleCandidates(model, {
      grammar,
      start: grammar.start(),
      prompt: vocabulary.encode([BOS, "M:6/8", "K:major", "R:jig"]),
      candidates: 64,
      temperature: 1,
      topP: 1,
      rng: new Rng(seed),
      maxTokens: 96,
      ...(weight > 0
        ? { guidance: { unconditioned: vocabulary.encode([BOS, "M:6/8", "K:major"]), weight } }
        : {}),
    });
  };
  const firstIsA = (weight: number) =>
    [1, 2, 3].flatMap((seed) => sample(weight, seed)).filter((c) => c.ids[0] === A).length;

  it("draws more of what the conditioning favours than the model alone does", () => {
    const plain = firstIsA(0);
    const guided = firstIsA(1);
    expect(plain).toBeGreaterThan(0);
    expect(guided).toBeGreaterThan(plain * 1.3);
  });

  it("still reports each candidate's likelihood under the model itself", () => {
    for (const c of sample(1, 4)) {
      let previous = typed;
      let nll = 0;
      for (const id of c.ids) {
        const logits = logitsAfter(previous);
        const max = Math.max(...logits);
        const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
        nll -= (logits[id] as number) - max - Math.log(sum);
        previous = id;
      }
      expect(c.nll).toBeCloseTo(nll, 6);
    }
  });
});
