import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import abcjs from "abcjs";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { analyseCorpus, type CorpusAnalysis, readCorpusSources } from "../../src/music/corpus.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const sharedCorpus = fileURLToPath(new URL("../../../shared/corpus", import.meta.url));

describe("corpus analysis", () => {
  it("counts, deduplicates, rejects with reasons and keeps only well-barred tunes", () => {
    const tunes = fixture("tunes.abc");
    const respelled = tunes
      .replace("K:D Major", "K:D")
      .replace("T:Test Jig in D", "T:Same jig, other header");
    const analysis = analyseCorpus([
      { file: "a.abc", text: tunes },
      { file: "b.abc", text: tunes }, // identical text
      { file: "c.abc", text: respelled }, // same music, different spelling
      { file: "broken.abc", text: fixture("broken.abc") },
      { file: "bad-bars.abc", text: "X:1\nT:Long bar\nM:2/4\nL:1/8\nK:G\nGABc|dedcB|c4|]\n" },
    ]);
    expect(analysis.files).toBe(5);
    expect(analysis.tunes).toBe(4 * 3 + 5 + 1);
    expect(analysis.unique).toBe(4 + 5 + 1);
    expect(analysis.rejected.map((r) => r.code)).toEqual([
      "missing-key",
      "bad-duration",
      "bad-tuplet",
      "unterminated",
      "no-notes",
    ]);
    expect(analysis.parsed.map((t) => t.ref.title)).toContain("Long bar");
    expect(analysis.usable.map((t) => t.ref.title)).not.toContain("Long bar");
    expect(analysis.usable).toHaveLength(4);
  });
});

const hasCorpus = existsSync(sharedCorpus);
if (!hasCorpus) console.log(`corpus-wide checks skipped: ${sharedCorpus} is not present`);

describe.runIf(hasCorpus)("the shared corpus (../shared/corpus)", () => {
  let analysis: CorpusAnalysis;
  beforeAll(() => {
    analysis = analyseCorpus(readCorpusSources(sharedCorpus));
  });

  it("parses and round-trips at least 97% of unique tunes, every rejection with a reason", () => {
    expect(analysis.parsed.length / analysis.unique).toBeGreaterThanOrEqual(0.97);
    expect(analysis.roundTripFailures).toEqual([]);
    for (const r of analysis.rejected) expect(r.message).toMatch(/^ABC tune .+: .+/);
  });

  it("writes every parsed tune as ABC that reads back the same, and abcjs parses it", () => {
    let abcjsClean = 0;
    for (const { tune } of analysis.parsed) {
      const abc = tuneToAbc(tune);
      expect(parseAbc(abc)).toEqual(tune);
      if ((abcjs.parseOnly(abc)[0]?.warnings ?? []).length === 0) abcjsClean++;
    }
    // abcjs cannot draw a few lengths the transcriptions use (e.g. 9/16); it still parses them.
    expect(abcjsClean / analysis.parsed.length).toBeGreaterThan(0.995);
  });
  it("reads 99% of the tunes abcjs reads without a warning, and 97% of all unique tunes", () => {
    expect(readShares(analysis).abcjsClean).toBeGreaterThanOrEqual(0.99);
    expect(readShares(analysis).all).toBeGreaterThanOrEqual(0.97);
  });
});

const nottingham = fileURLToPath(new URL("../../../shared/nottingham", import.meta.url));

describe.runIf(existsSync(nottingham))("the chord-annotated collection (../shared/nottingham)", () => {
  it("reads 99% of what abcjs reads without a warning and 97% of all, refusing only with a position", () => {
    const analysis = analyseCorpus(readCorpusSources(nottingham));
    expect(readShares(analysis).abcjsClean).toBeGreaterThanOrEqual(0.99);
    expect(readShares(analysis).all).toBeGreaterThanOrEqual(0.97);
    for (const r of analysis.rejected) expect(r.message).toMatch(/^ABC tune .+ at line \d+, column \d+: .+/);
    // Its parts and playing orders are passed over and counted, not refused.
    expect(analysis.ignored.get("playing order (Y:)")).toBeGreaterThan(100);
    expect(analysis.meterChanges.length).toBeGreaterThan(0);
  });
});

/** Shares of tunes read: of those abcjs parses without a warning, and of all unique texts. */
function readShares(analysis: CorpusAnalysis): { abcjsClean: number; all: number } {
  const clean = analysis.entries.filter((e) => (abcjs.parseOnly(e.source)[0]?.warnings ?? []).length === 0);
  return {
    abcjsClean: clean.filter((e) => e.read).length / clean.length,
    all: analysis.entries.filter((e) => e.read).length / analysis.entries.length,
  };
}
