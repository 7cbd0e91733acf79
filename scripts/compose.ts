/**
 * Compose tunes offline — no Discord token, no network:
 *
 *   npm run compose -- [--style jig] [--key "A dorian"] [--temperature 1.2] [--bars 16]
 *     [--form AABB] [--instrument fiddle] [--tempo 112] [--top-p 1] [--candidates 8]
 *     [--seed some.mid|some.abc] [--seed-value 42] [--chords on|off] [--accompaniment guitar]
 *     [--bodhran on|off] [--count 3] [--out out/] [--model models/<name>] [--json]
 *
 * Writes .mid, .ogg (audio preview), .png (score) and .abc per tune and prints a summary.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type ComposeResult, loadComposer } from "../src/compose/composer.js";
import { describeForm } from "../src/compose/form-spec.js";
import { RequestError, validateRequest } from "../src/compose/request.js";
import { config } from "../src/config.js";
import { trainingTunes } from "../src/model/data.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";
import { chordChart } from "../src/music/harmony/chart.js";
import { importTune } from "../src/music/import.js";
import { abcKeyName } from "../src/music/key.js";
import { MusicError } from "../src/music/music-errors.js";
import { NoveltyIndex } from "../src/music/novelty.js";
import type { Tune } from "../src/music/tune.js";
import { ModelVersions } from "../src/versions/model-versions.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    temperature: { type: "string" },
    style: { type: "string" },
    key: { type: "string" },
    bars: { type: "string" },
    form: { type: "string" },
    instrument: { type: "string" },
    tempo: { type: "string" },
    "top-p": { type: "string" },
    candidates: { type: "string" },
    "seed-value": { type: "string" },
    seed: { type: "string" },
    chords: { type: "string" },
    accompaniment: { type: "string" },
    bodhran: { type: "string" },
    count: { type: "string", default: "1" },
    out: { type: "string", default: "out" },
    model: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const fail = (message: string): never => {
  console.error(`compose: ${message}`);
  process.exit(2);
};

const count = Number(values.count);
if (!Number.isInteger(count) || count < 1 || count > 100)
  fail("--count must be a whole number from 1 to 100");
const settings = config();
let seed: Tune | undefined;
if (values.seed) {
  try {
    const bytes = await readFile(values.seed);
    const imported = importTune(bytes, {
      maxBytes: settings.maxAttachmentBytes,
      maxNotes: settings.maxSeedNotes,
      maxBars: settings.maxSeedBars,
    });
    seed = imported.tune;
    for (const note of imported.notes) console.error(`seed: ${note}`);
  } catch (e) {
    fail(`cannot use ${values.seed} as a seed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
const firstSeedValue = values["seed-value"] === undefined ? undefined : Number(values["seed-value"]);
const limits = { maxBars: settings.maxRequestBars, tokensPerBar: settings.maxTokensPerBar };
const requests = Array.from({ length: count }, (_, i) => {
  try {
    return validateRequest(
      {
        temperature: values.temperature,
        style: values.style,
        key: values.key,
        bars: values.bars,
        form: values.form,
        instrument: values.instrument,
        tempo: values.tempo,
        topP: values["top-p"],
        candidates: values.candidates,
        chords: values.chords,
        accompaniment: values.accompaniment,
        bodhran: values.bodhran,
        ...(firstSeedValue === undefined ? {} : { seedValue: (firstSeedValue + i) % 2 ** 32 }),
        ...(seed ? { seed } : {}),
      },
      limits,
    );
  } catch (e) {
    if (e instanceof RequestError) return fail(e.problems.join("\n         "));
    throw e;
  }
});

// The version the bot serves (DATA_DIR/models/active.json), or the shipped model; --model overrides.
const active = values.model
  ? undefined
  : new ModelVersions({ dataDir: settings.dataDir, baseModelDir: settings.modelDir }).activeVersion();
if (active?.fallbackReason) console.error(active.fallbackReason);
// How much of each tune is copied from a training tune, when the training corpus is here.
const novelty = existsSync(settings.corpusDir) ? trainingIndex(settings.corpusDir) : undefined;

const composer = await loadComposer(values.model ?? (active?.dir as string), settings.tfBackend, {
  ...(active ? { version: active.id } : {}),
  log: (line) => console.error(line),
});
await mkdir(values.out, { recursive: true });
const summaries = [];
for (const request of requests) {
  let result: ComposeResult;
  try {
    result = await composer.compose(request);
  } catch (e) {
    if (e instanceof MusicError) fail(e.message);
    throw e;
  }
  const base = path.join(values.out, `${slug(result.tune.title)}-${request.seedValue}`);
  const files: Record<string, string> = {};
  const { renderings } = result;
  for (const [ext, data] of [
    ["mid", renderings.midi],
    ["ogg", renderings.ogg],
    ["png", renderings.png],
    ["abc", renderings.abc],
  ] as const) {
    if (data === undefined) continue;
    files[ext] = `${base}.${ext}`;
    await writeFile(files[ext], data);
  }
  const chosen = result.candidates[result.chosen];
  const summary = {
    title: result.tune.title,
    key: abcKeyName(result.tune.key),
    meter: `${result.tune.meter.num}/${result.tune.meter.den}`,
    bars: request.bars,
    form: request.seed ? undefined : describeForm(request.form, request.partBars),
    style: request.style,
    instrument: request.instrument,
    tempo: request.tempo,
    chords: chordChart(result.tune),
    accompaniment: request.chords ? request.accompaniment : undefined,
    temperature: request.temperature,
    seedValue: request.seedValue,
    tokens: chosen?.tokens,
    bitsPerNote: chosen?.bitsPerNote,
    candidates: result.candidates.length,
    audioSeconds: renderings.audioSeconds,
    notes: result.notes,
    files,
    abc: renderings.abc,
    timings: result.timings,
    model: result.model,
    ...(novelty ? { sharedWithTraining: novelty.longestShared(result.tune) } : {}),
  };
  summaries.push(summary);
  if (!values.json) {
    const t = result.timings;
    console.log(
      `${summary.title} — ${summary.style} in ${summary.key}, ${summary.meter}, ${summary.form ?? `${summary.bars} bars`}, ` +
        `${summary.tokens} tokens, ${summary.bitsPerNote?.toFixed(2)} bits/note (best of ${summary.candidates})`,
    );
    console.log(
      `  ${Math.round(t.totalMs)} ms: generate ${Math.round(t.generateMs)}, midi ${Math.round(t.midiMs)}, ` +
        `audio ${Math.round(t.audioMs)}, score ${Math.round(t.scoreMs)}`,
    );
    for (const [i, part] of summary.chords.entries())
      console.log(`  chords ${String.fromCharCode(65 + (i % 26))}: ${part}`);
    for (const note of result.notes) console.log(`  note: ${note}`);
    const shared = summary.sharedWithTraining;
    if (shared)
      console.log(
        `  longest run of notes shared with a training tune: ${shared.notes}${shared.with ? ` ("${shared.with}")` : ""}`,
      );
    console.log(`  ${Object.values(files).join("  ")}`);
  }
}
if (values.json) console.log(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2));
composer.dispose();

function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "tune"
  );
}

function trainingIndex(corpus: string): NoveltyIndex {
  const analysis = analyseCorpus(readCorpusSources(corpus));
  return new NoveltyIndex(trainingTunes(analysis.usable.map((t) => t.tune)));
}
