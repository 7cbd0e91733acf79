/**
 * A retraining-sized run: 300 steps of batch 32 × 128 tokens, fine-tuning the shipped
 * model on the corpus's training tunes, timed end to end (data preparation included).
 *
 *   npm run bench -- retrain [--steps=300] [--corpus=../shared/corpus]
 */
import { config } from "../src/config.js";
import { initBackend } from "../src/model/backend.js";
import { splitDataset } from "../src/model/data.js";
import { disposeWeights } from "../src/model/lstm-weights.js";
import { loadModelDir } from "../src/model/model-dir.js";
import { trainModel } from "../src/model/trainer.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const steps = Number(arg("steps") ?? 300);
const corpus = arg("corpus") ?? "../shared/corpus";

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
