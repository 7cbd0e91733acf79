/**
 * Corpus report: what the music core makes of a tune collection.
 *   npm run corpus -- --corpus ../shared/corpus [--json] [--vocab out/vocab.json]
 */
import { writeFileSync } from "node:fs";
import { describeBarProblem } from "../src/music/bar-check.js";
import { analyseCorpus, readCorpusSources, trainingVocabulary } from "../src/music/corpus.js";
import { abcjsWarnings } from "../src/render/abcjs-dom.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    corpus: { type: "string", default: "../shared/corpus" },
    json: { type: "boolean", default: false },
    vocab: { type: "string" },
  },
});

const corpusPath = values.corpus as string;
const analysis = analyseCorpus(readCorpusSources(corpusPath));
const vocabulary = trainingVocabulary(analysis);
if (values.vocab) writeFileSync(values.vocab, `${JSON.stringify(vocabulary.toJSON())}\n`);

const lengths = analysis.parsed.map((t) => t.tokens.length).sort((a, b) => a - b);
const byReason = new Map<string, number>();
for (const r of [...analysis.rejected, ...analysis.roundTripFailures]) {
  byReason.set(r.code, (byReason.get(r.code) ?? 0) + 1);
}
const unique = analysis.unique;
const parsedShare = unique === 0 ? 0 : analysis.parsed.length / unique;
const badBars = analysis.parsed.filter((t) => !t.bars.ok);
const read = unique - analysis.rejected.length;
// The field's standard parser as the yardstick: of the tunes it reads without a warning, how many do we read?
const abcjsClean = analysis.entries.filter((e) => abcjsWarnings(e.source).length === 0);
const abcjsCleanRead = abcjsClean.filter((e) => e.read).length;
const ignored = [...analysis.ignored].sort((a, b) => b[1] - a[1]);

const summary = {
  corpus: corpusPath,
  contentHash: analysis.contentHash,
  files: analysis.files,
  tunes: analysis.tunes,
  uniqueTunes: unique,
  parsedAndRoundTripped: analysis.parsed.length,
  parsedShare,
  read,
  readShare: unique === 0 ? 0 : read / unique,
  abcjsClean: abcjsClean.length,
  abcjsCleanRead,
  abcjsCleanReadShare: abcjsClean.length === 0 ? 0 : abcjsCleanRead / abcjsClean.length,
  meterChanges: analysis.meterChanges.length,
  ignored: Object.fromEntries(ignored),
  rejected: Object.fromEntries(byReason),
  barCheckPassed: analysis.usable.length,
  barCheckFailed: badBars.length,
  usedForTraining: analysis.usable.length,
  vocabularySize: vocabulary.size,
  tokensPerTune: { median: lengths[Math.floor(lengths.length / 2)] ?? 0, max: lengths.at(-1) ?? 0 },
};

if (values.json) {
  console.log(
    JSON.stringify(
      {
        ...summary,
        rejections: analysis.rejected,
        meterChangeTunes: analysis.meterChanges,
        barProblems: barProblemList(),
      },
      null,
      2,
    ),
  );
} else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`Corpus ${corpusPath} (content hash ${analysis.contentHash})`);
  console.log(`  files                       ${summary.files}`);
  console.log(`  tunes                       ${summary.tunes}`);
  console.log(
    `  unique tunes                ${unique} (duplicates: same text, or same notes spelled differently)`,
  );
  console.log(`  read                        ${read} (${pct(summary.readShare)} of unique)`);
  console.log(
    `  abcjs reads without errors  ${abcjsClean.length}; of those read ${abcjsCleanRead} (${pct(summary.abcjsCleanReadShare)})`,
  );
  console.log(
    `  changes meter mid-tune      ${analysis.meterChanges.length} (read; not training material: the model's tokens cannot change meter, a seed like them is continued in its last meter)`,
  );
  console.log(`  ignored while reading       (kind: tunes)`);
  for (const [kind, n] of ignored) console.log(`    ${kind.padEnd(40)}${n}`);
  console.log(`  parsed + exact round trip   ${analysis.parsed.length} (${pct(parsedShare)} of unique)`);
  console.log(
    `  rejected                    ${analysis.rejected.length + analysis.roundTripFailures.length}`,
  );
  for (const [code, n] of [...byReason].sort((a, b) => b[1] - a[1]))
    console.log(`    ${code.padEnd(26)}${n}`);
  console.log(
    `  every bar fits the meter    ${analysis.usable.length} (${pct(analysis.usable.length / Math.max(1, analysis.parsed.length))} of parsed)`,
  );
  console.log(`  bar check failed            ${badBars.length} (excluded from training; no repair applied)`);
  console.log(`  used for training           ${analysis.usable.length}`);
  console.log(`  vocabulary size             ${vocabulary.size}`);
  console.log(
    `  tokens per tune             median ${summary.tokensPerTune.median}, max ${summary.tokensPerTune.max}`,
  );
  console.log("\nRejected tunes:");
  for (const r of analysis.rejected) console.log(`  ${r.file}: ${r.message}`);
  console.log("\nTunes that change meter (read, not trained on):");
  for (const r of analysis.meterChanges)
    console.log(`  ${r.file} X:${r.ref.x ?? "?"} "${r.ref.title ?? ""}": ${r.message}`);
  console.log("\nTunes failing the bar check (first offending bar):");
  for (const line of barProblemList()) console.log(`  ${line}`);
}

function barProblemList(): string[] {
  return badBars.map((t) => {
    const first = t.bars.problems[0];
    const more = t.bars.problems.length > 1 ? ` (+${t.bars.problems.length - 1} more)` : "";
    return `${t.file} X:${t.ref.x ?? "?"} "${t.ref.title ?? ""}": ${first ? describeBarProblem(first) : ""}${more}`;
  });
}
