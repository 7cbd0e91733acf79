/**
 * Retraining, timed.
 *
 *   npm run bench -- retrain [--submissions=20] [--steps=200] [--corpus=../shared/corpus]
 *     The real thing end to end: N approved submissions in a temporary DATA_DIR, then
 *     `npm run retrain -- --steps N --dry-run` as its own process (shipped model, real
 *     corpus: loading, both evaluations, training, writing the version), wall clock.
 *   npm run bench -- retrain --trainer-only [--steps=300]
 *     Only trainModel fine-tuning the shipped model on the corpus's training tunes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { config } from "../src/config.js";
import { initBackend } from "../src/model/backend.js";
import { splitDataset } from "../src/model/data.js";
import { disposeWeights } from "../src/model/lstm-weights.js";
import { loadModelDir, readModelVocabulary } from "../src/model/model-dir.js";
import { trainModel } from "../src/model/trainer.js";
import { parseAbc } from "../src/music/abc-read.js";
import { analyseCorpus, readCorpusSources, tokenHash } from "../src/music/corpus.js";
import { tuneToTokens } from "../src/music/tokens.js";
import type { RetrainSummary } from "../src/retrain/run-reports.js";
import { openStore } from "../src/store/store.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const corpus = path.resolve(arg("corpus") ?? "../shared/corpus");

if (process.argv.includes("--trainer-only")) await trainerOnly(Number(arg("steps") ?? 300));
else await endToEnd(Number(arg("submissions") ?? 20), Number(arg("steps") ?? 200));

/**
 * Jigs sharing six of eight bars (two vary, so up to 64 are distinct): what a group of
 * members sending settings of one tune looks like, and tunes the model can write.
 */
function submittedJigs(count: number): string[] {
  const bars = ["dfa afd", "B2c d2e", "fed e2d", "cBA A2G", "FAd fdA", "GBd gdB", "A3 A2G", "FED D3"];
  return Array.from({ length: count }, (_, i) => {
    const b = [...bars];
    b[5] = bars[i % 8] as string;
    b[6] = bars[Math.floor(i / 8) % 8] as string;
    return `X:${i + 1}\nT:Bench Jig ${i + 1}\nM:6/8\nL:1/8\nK:D\n|: ${b.slice(0, 4).join(" | ")} :|\n|: ${b.slice(4).join(" | ")} :|\n`;
  });
}

async function endToEnd(submissions: number, steps: number): Promise<void> {
  const cfg = config();
  const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-bench-retrain-"));
  try {
    const vocabulary = readModelVocabulary(cfg.modelDir);
    const store = openStore(dataDir);
    for (const abc of submittedJigs(submissions)) {
      const tokens = tuneToTokens(parseAbc(abc));
      if (vocabulary.unknown(tokens).length > 0) throw new Error("a bench tune is outside the vocabulary");
      const added = store.addSubmission({
        guildId: null,
        userId: "300000000000000001",
        title: "Bench Jig",
        fileName: "jig.abc",
        original: new TextEncoder().encode(abc),
        contentHash: tokenHash(tokens),
        tokens,
      });
      if (added.added) store.reviewSubmission(added.submission.id, "approved", "bench");
    }
    store.close();

    const repo = fileURLToPath(new URL("..", import.meta.url));
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/retrain.ts", "--steps", String(steps), "--dry-run", "--json"],
      {
        cwd: repo,
        env: { ...process.env, DATA_DIR: dataDir, MODEL_DIR: cfg.modelDir, CORPUS_DIR: corpus },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const minutes = (performance.now() - started) / 60_000;
    if (code !== 0) throw new Error(`npm run retrain exited with status ${code}`);
    const summary = JSON.parse(out) as RetrainSummary;
    const reopened = openStore(dataDir);
    const log = reopened.getRun(summary.runId)?.log ?? "";
    reopened.close();
    const b = (x: number | null | undefined) => (x == null ? "—" : x.toFixed(3));
    console.log(
      `\nretrain end to end: ${submissions} submissions (${summary.submissions.train.length} learnt, ${summary.submissions.heldOut.length} held out), ` +
        `${steps} steps, dry run: ${minutes.toFixed(1)} min wall clock (${summary.seconds.toFixed(0)} s inside the run)\n` +
        `  base corpus ${b(summary.old?.base)} → ${b(summary.new?.base)} bits/note, held-out submissions ` +
        `${b(summary.old?.submissions)} → ${b(summary.new?.submissions)}; gate ${summary.status === "succeeded" ? "passed" : "failed"}\n` +
        `run log:\n${log.replace(/^/gm, "  ").trimEnd()}`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function trainerOnly(steps: number): Promise<void> {
  const started = performance.now();
  const backend = await initBackend("wasm");
  const model = await loadModelDir(config().modelDir);
  const analysis = analyseCorpus(readCorpusSources(corpus));
  const data = splitDataset(
    analysis.usable.filter((t) => model.vocabulary.unknown(t.tokens).length === 0),
    model.vocabulary,
  );
  const prepared = performance.now();
  const result = await trainModel({
    train: data.train.map((t) => t.ids),
    validation: data.validation.map((t) => t.ids),
    config: {
      vocabSize: model.vocabulary.size,
      layers: 2,
      units: 256,
      dropout: 0.3,
      ...model.card?.architecture,
    },
    hyper: {
      seqLen: 128,
      batchSize: 32,
      learningRate: 5e-4,
      clipNorm: 5,
      maxSteps: steps,
      patience: 100,
      seed: 7,
      lrDecayFactor: 0.5,
      lrPatience: 100,
    },
    initialWeights: model.weights,
  });
  const trained = performance.now();
  disposeWeights(result.bestWeights);
  disposeWeights(model.weights);
  const tokens = steps * 32 * 128;
  console.log(
    `retrain ${steps} steps × batch 32 × 128 on ${backend.name}: ${((trained - started) / 60000).toFixed(1)} min total ` +
      `(${((prepared - started) / 1000).toFixed(1)} s loading and preparing, ${((trained - prepared) / 1000).toFixed(0)} s training, ` +
      `${Math.round(tokens / ((trained - prepared) / 1000))} tokens/s)`,
  );
}
