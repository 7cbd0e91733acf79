/**
 * Which model size to ship: every candidate trains from scratch on the same corpus split
 * for the same number of steps (same batches, same seed), then reports validation bits
 * per note, training tokens/s and sampling time per token at batch 1 — the three things
 * the shipped size trades off (music quality, retraining minutes, reply latency).
 *
 *   npm run bench -- sizes [--steps=400] [--sizes=1x256,2x256,1x512,2x384] [--corpus=../shared/corpus]
 */
import { initBackend } from "../src/model/backend.js";
import { splitDataset } from "../src/model/data.js";
import { disposeWeights } from "../src/model/lstm-weights.js";
import { createStepper } from "../src/model/sampler-step.js";
import { evaluateTunes, trainModel } from "../src/model/trainer.js";
import { analyseCorpus, readCorpusSources, trainingVocabulary } from "../src/music/corpus.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const steps = Number(arg("steps") ?? 400);
const corpus = arg("corpus") ?? "../shared/corpus";
const sizes = (arg("sizes") ?? "1x256,2x256,1x512,2x384").split(",").map((s) => {
  const [layers, units] = s.split("x").map(Number);
  if (!layers || !units) throw new Error(`--sizes wants LxU,…; got "${s}"`);
  return { layers, units };
});

const backend = await initBackend("wasm");
const analysis = analyseCorpus(readCorpusSources(corpus));
const vocabulary = trainingVocabulary(analysis);
const data = splitDataset(analysis.usable, vocabulary);
const validation = data.validation.map((t) => t.ids);
const notes = data.validation.reduce((n, t) => n + t.notes, 0);
const batchSize = 32;
const seqLen = 128;
console.log(
  `${steps} steps × batch ${batchSize} × ${seqLen} tokens on ${backend.name}; ` +
    `${data.train.length} training, ${data.validation.length} validation tunes`,
);
console.log("size   | val nats/token | val bits/note | train tokens/s | sample ms/token (b1)");

for (const { layers, units } of sizes) {
  const started = performance.now();
  const result = await trainModel({
    train: data.train.map((t) => t.ids),
    validation,
    config: { vocabSize: vocabulary.size, layers, units, dropout: 0.3 },
    hyper: {
      seqLen,
      batchSize,
      learningRate: 0.005,
      clipNorm: 5,
      maxSteps: steps,
      patience: 100,
      seed: 7,
      lrDecayFactor: 0.5,
      lrPatience: 1,
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const { nll, tokens } = await evaluateTunes(result.bestWeights, validation);
  const stepper = createStepper(result.bestWeights);
  const ids = new Int32Array([1]);
  let state = stepper.step(ids).state;
  const t0 = performance.now();
  const samples = 300;
  for (let i = 0; i < samples; i++) state = stepper.step(ids, state).state;
  const msPerToken = (performance.now() - t0) / samples;
  stepper.dispose();
  disposeWeights(result.bestWeights);
  console.log(
    `${layers}x${units}`.padEnd(6) +
      ` | ${(nll / tokens).toFixed(3).padStart(14)} | ${(nll / Math.LN2 / notes).toFixed(3).padStart(13)}` +
      ` | ${Math.round((steps * batchSize * seqLen) / seconds)
        .toString()
        .padStart(14)}` +
      ` | ${msPerToken.toFixed(3).padStart(8)}`,
  );
}
