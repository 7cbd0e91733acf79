/**
 * How good is a model on tunes it never saw, against two count baselines trained on the
 * spot on the same collection's training split?
 *
 *   npm run evaluate -- --model models/folk-styles-2x256 --corpus ../shared/corpus [--json]
 *
 * --all scores every tune of --corpus, the baselines trained on CORPUS_DIR's training
 * split (the model's own corpus): for outside collections, figures from all their tunes.
 *
 * With --samples, judges generated tunes instead (structure, histograms against the
 * held-out tunes, key kept when continuing held-out tunes):
 *
 *   npm run evaluate -- --samples 500 --temperature 1.0 [--candidates 8] [--continuations 200] [--per-style 100]
 *
 * which also composes --samples tunes at the defaults and compares their form and style
 * with the held-out real tunes of the same styles (--form-only skips the rest).
 *
 * With --chords, checks the harmoniser against the chords people wrote (per half bar),
 * next to two baselines (the tonic chord everywhere; the diatonic triad covering the most
 * melody):
 *
 *   npm run evaluate -- --chords <dir or .abc> [--tables models/harmony/nottingham.json] [--split held-out|all]
 */
import { loadComposer } from "../src/compose/composer.js";
import { evaluateForm, type FormEvaluation } from "../src/compose/evaluate-form.js";
import { evaluateSamples } from "../src/compose/evaluate-samples.js";
import { config } from "../src/config.js";
import { evaluateModelOnCorpus } from "../src/model/evaluate-corpus.js";
import { measureAgreement } from "../src/music/harmony/agreement.js";
import { readAnnotatedTunes } from "../src/music/harmony/annotated-tunes.js";
import { DEFAULT_HARMONY_TABLES, loadHarmonyTables } from "../src/music/harmony/load.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    model: { type: "string", default: config().modelDir },
    corpus: { type: "string", default: "../shared/corpus" },
    json: { type: "boolean", default: false },
    samples: { type: "string" },
    temperature: { type: "string", default: "1.0" },
    candidates: { type: "string" },
    continuations: { type: "string" },
    "per-style": { type: "string" },
    "form-only": { type: "boolean", default: false },
    all: { type: "boolean", default: false },
    chords: { type: "string" },
    tables: { type: "string", default: DEFAULT_HARMONY_TABLES },
    split: { type: "string", default: "all" },
  },
});

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

if (values.chords !== undefined) {
  evaluateChords();
  process.exit(0);
}

if (values.samples !== undefined) {
  await evaluateGenerated();
  process.exit(0);
}

const report = await evaluateModelOnCorpus(
  values.model as string,
  values.corpus as string,
  config().tfBackend,
  values.all ? { allAgainst: config().corpusDir } : {},
);
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Model ${report.model} on ${report.corpus} (${report.backend})`);
  console.log(
    `  tunes: ${report.tunes.validation} evaluated (${values.all ? "every tune" : "held out by name"}), ` +
      `${report.tunes.train} for the baselines${values.all ? ` (the training split of ${config().corpusDir})` : ""}, ` +
      `${report.tunes.unrepresentable} skipped (symbols the model does not know)`,
  );
  console.log(`  ${"".padEnd(22)}${"nats/token".padStart(12)}${"bits/note".padStart(12)}`);
  for (const [name, s] of Object.entries(report.scores)) {
    console.log(
      `  ${name.padEnd(22)}${s.natsPerToken.toFixed(3).padStart(12)}${s.bitsPerNote.toFixed(3).padStart(12)}`,
    );
  }
}

async function evaluateGenerated(): Promise<void> {
  const composer = await loadComposer(values.model as string, config().tfBackend);
  const progress = (done: number, total: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} tunes`);
  };
  const form = await evaluateForm(composer, values.corpus as string, {
    samples: Number(values.samples),
    temperature: Number(values.temperature),
    ...(values.candidates ? { candidates: Number(values.candidates) } : {}),
    ...(values["per-style"] ? { perStyle: Number(values["per-style"]) } : {}),
    onProgress: progress,
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  if (values["form-only"]) {
    composer.dispose();
    if (values.json) console.log(JSON.stringify({ model: composer.model, form }, null, 2));
    else printForm(form);
    return;
  }
  const report = await evaluateSamples(composer, values.corpus as string, {
    samples: Number(values.samples),
    temperature: Number(values.temperature),
    ...(values.candidates ? { candidates: Number(values.candidates) } : {}),
    ...(values.continuations ? { continuations: Number(values.continuations) } : {}),
    onProgress: progress,
  });
  composer.dispose();
  if (process.stderr.isTTY) process.stderr.write("\n");
  if (values.json) {
    console.log(JSON.stringify({ model: composer.model, ...report, form }, null, 2));
    return;
  }
  printForm(form);
  console.log(
    `${report.samples} tunes from ${composer.model.name} at temperature ${report.temperature}, best of ${report.candidates} ` +
      `(${Math.round(report.msPerTune)} ms each, ${composer.model.backend}), against ${report.reference.tunes} held-out tunes`,
  );
  console.log(`  parse with our reader, identical:  ${percent(report.shares.parsesOurs)}`);
  console.log(`  parse with abcjs, no warnings:     ${percent(report.shares.abcjsClean)}`);
  console.log(`  every bar the right length:        ${percent(report.shares.barsCorrect)}`);
  console.log(
    `  end on the tonic:                  ${percent(report.shares.endsOnTonic)} (held-out tunes: ${percent(report.reference.endsOnTonic)})`,
  );
  console.log(
    `  histogram overlap with held-out:   pitch class ${report.overlap.pitchClass.toFixed(3)}, ` +
      `interval ${report.overlap.interval.toFixed(3)}, note length ${report.overlap.noteLength.toFixed(3)}`,
  );
  const c = report.continuation;
  console.log(
    `  continuing ${c.seeds} held-out first halves (meter and bars kept: ${percent(c.sameMeter)}):`,
  );
  console.log(
    `    estimated key = seed's written key:   ${percent(c.sameKey)} (the real second halves: ${percent(c.referenceSameKey)})`,
  );
  console.log(
    `    estimated key = seed's estimated key: ${percent(c.sameEstimatedKey)} (the real second halves: ${percent(c.referenceSameEstimatedKey)})`,
  );
}

function printForm(f: FormEvaluation): void {
  console.log(
    `Form: ${f.samples} tunes composed at the defaults vs ${f.real} held-out real tunes of the same styles ` +
      `(${Math.round(f.msPerTune)} ms a tune)`,
  );
  console.log(`  ${"".padEnd(40)}${"composed".padStart(10)}${"real".padStart(10)}${"overlap".padStart(10)}`);
  for (const m of f.measures)
    console.log(
      `  ${m.name.padEnd(40)}${m.composedMean.toFixed(3).padStart(10)}${m.realMean.toFixed(3).padStart(10)}${m.overlap.toFixed(3).padStart(10)}`,
    );
  const parts = (d: Record<string, number>) =>
    Object.entries(d)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  console.log(
    `  parts × bars: composed ${parts(f.parts.composed)}; real ${parts(f.parts.real)}; overlap ${f.parts.overlap.toFixed(3)}`,
  );
  console.log(
    `  telling composed from real (5-fold, ${f.classifier.perClass} of each; 0.5 = chance): ` +
      `logistic regression ${f.classifier.logistic.toFixed(3)}, random forest ${f.classifier.forest.toFixed(3)}`,
  );
  console.log(
    "  style recognised by a classifier trained on real tunes: real tunes of the style in its meter (cross-validated) / composed",
  );
  for (const s of f.styles)
    console.log(
      `    ${s.style.padEnd(10)} ${percent(s.real).padStart(7)} of ${String(s.realTunes).padStart(3)}   ${percent(s.composed).padStart(7)} of ${String(s.composedTunes).padStart(3)}`,
    );
  const n = f.novelty;
  console.log(
    `  longest run of notes shared with a training tune: median ${n.median}, max ${n.max}` +
      `${n.longest?.with ? ` ("${n.longest.title}" with "${n.longest.with}")` : ""}; ${percent(n.atLeast32)} share 32 or more`,
  );
}

function evaluateChords(): void {
  if (values.split !== "all" && values.split !== "held-out") {
    console.error("evaluate: --split must be all or held-out");
    process.exit(2);
  }
  const collection = readAnnotatedTunes(values.chords as string);
  const tunes = collection.tunes.filter((t) => values.split === "all" || t.heldOut).map((t) => t.tune);
  const tables = loadHarmonyTables(values.tables as string);
  const started = performance.now();
  const report = measureAgreement(tunes, tables);
  const ms = (performance.now() - started) / Math.max(1, tunes.length);
  if (values.json) {
    console.log(
      JSON.stringify({ tables: values.tables, split: values.split, msPerTune: ms, ...report }, null, 2),
    );
    return;
  }
  console.log(
    `Chords of ${report.tunes} tunes of ${values.chords} (split: ${values.split}; ${collection.skipped} skipped: ` +
      `unreadable or without chords), ${report.segments} half bars, tables ${values.tables} ` +
      `(trained on ${tables.trained.tunes} tunes), ${ms.toFixed(1)} ms a tune`,
  );
  console.log(
    `  ${"agreement with the written chords".padEnd(44)}${"same chord".padStart(10)}${"same root".padStart(10)}`,
  );
  const rows: [string, { sameChord: number; sameRoot: number }][] = [
    ["harmoniser (HMM, Viterbi)", report.harmoniser],
    ["baseline: the tonic chord everywhere", report.tonic],
    ["baseline: diatonic triad covering the melody", report.diatonic],
  ];
  for (const [name, a] of rows)
    console.log(
      `  ${name.padEnd(44)}${percent(a.sameChord).padStart(10)}${percent(a.sameRoot).padStart(10)}`,
    );
}
