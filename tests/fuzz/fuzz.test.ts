import { describe, expect, it } from "vitest";
import { FAMILIES, generateCase } from "./generators.js";
import { formatSummary, runInProcess, runWatched } from "./runner.js";

/**
 * The fuzzer at a small count, in the normal suite: every generated input must end in a
 * MusicError or a valid Tune within the per-case bound. `npm run fuzz` runs it at scale.
 */
const SEED = 20261121;
const COUNT = 300;

describe("fuzzing the tune readers", () => {
  it(`ends ${COUNT} hostile inputs in typed errors or valid tunes, each within 2 s`, () => {
    const summary = runInProcess(SEED, 0, COUNT, { timeLimitMs: 2000 });
    if (summary.bugs.length > 0) console.error(formatSummary(summary));
    expect(summary.bugs.map((b) => `#${b.index} ${b.outcome}: ${b.detail}`)).toEqual([]);
    const total = (outcome: "ok" | "typed-error") =>
      [...summary.byFamily.values()].reduce((n, row) => n + row[outcome], 0);
    // Both ends are exercised: tunes that survive the hostility and inputs that are refused.
    expect(total("ok")).toBeGreaterThan(COUNT / 10);
    expect(total("typed-error")).toBeGreaterThan(COUNT / 3);
    expect(summary.byFamily.size).toBeGreaterThan(FAMILIES.length / 2);
    // What survives is garbage, not live data: a leak would show here.
    expect(summary.heapGrowthMb).toBeLessThan(32);
  });

  it("makes every case from its seed and index alone", () => {
    for (const index of [0, 7, 123]) {
      expect(generateCase(SEED, index)).toEqual(generateCase(SEED, index));
    }
    expect(generateCase(SEED, 1)).not.toEqual(generateCase(SEED + 1, 1));
  });

  it("reports hanging and memory-exhausting cases as bugs, replacing their workers, and finishes", async () => {
    const summary = await runWatched(SEED, 12, {
      workers: 1,
      chunk: 6,
      hangMs: 1500,
      workerHeapMb: 256,
      inject: { hang: 3, exhaustMemory: 8 },
    });
    expect(summary.cases).toBe(12);
    expect(summary.bugs.map((b) => [b.index, b.outcome])).toEqual([
      [3, "timeout"],
      [8, "memory"],
    ]);
  });
});
