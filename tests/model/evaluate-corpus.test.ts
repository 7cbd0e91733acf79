import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateModelOnCorpus } from "../../src/model/evaluate-corpus.js";
import { analyseCorpus, readCorpusSources } from "../../src/music/corpus.js";

const shipped = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));
const fixtures = fileURLToPath(new URL("../fixtures/tunes.abc", import.meta.url));

/** A small "outside collection" of jigs. */
const NAMES = "alder birch cedar daisy elder fern gorse hazel iris juniper kale laurel".split(" ");
const BARS = ["GAB dBG", "ABA AGE", "GAB dBd", "edc BAG", "DGB dBG", "cBA BAG", "AGF GAB", "dBG AGE"];
const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-all-"));
const outside = path.join(dir, "outside.abc");
const tunes = Array.from({ length: 40 }, (_, i) => {
  const bars = [0, 1, 2, 3].map((k) => BARS[(i * (k + 1) + k * 3) % BARS.length]);
  return `X:${i + 1}\nT:The ${NAMES[i % 12]} ${NAMES[Math.floor(i / 12)]}\nM:6/8\nL:1/8\nK:G\n|:${bars.join("|")}|G3 G3:|\n`;
});
writeFileSync(outside, tunes.join("\n"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run evaluate -- --all", () => {
  it("scores every tune of an outside collection, the baselines trained on the model's own corpus", async () => {
    const distinct = analyseCorpus(readCorpusSources(outside)).parsed.length;
    const all = await evaluateModelOnCorpus(shipped, outside, "wasm", { allAgainst: fixtures });
    expect(distinct).toBeGreaterThanOrEqual(5);
    expect(all.tunes.validation + all.tunes.unrepresentable).toBe(distinct);
    // The baselines learned from the fixtures' training split, not from the outside tunes.
    expect(all.tunes.train).toBeLessThanOrEqual(4);
    expect(all.scores.model?.bitsPerNote).toBeLessThan(all.scores.unigram?.bitsPerNote ?? 0);
  });
});
