/**
 * Composition speed, measured in one run:
 * - sampling time per token at batch 1 and batch 8 (the grammar's masks included),
 * - a 16-bar tune end to end (generation + MIDI + audio preview + score PNG), median and p95,
 * - a naive baseline: `model.predict` on the whole growing sequence at every step.
 *
 * - the audio preview before and after the SoundFont (bench/preview.ts),
 *
 *   npm run bench -- compose [--runs=20] [--model=models/folk-styles-2x256] [--preview-only]
 */

import { loadComposer } from "../src/compose/composer.js";
import { validateRequest } from "../src/compose/request.js";
import { config } from "../src/config.js";
import { tf } from "../src/model/backend.js";
import { loadLayersModel } from "../src/model/layers-model.js";
import { readModelVocabulary } from "../src/model/model-dir.js";
import { Rng } from "../src/model/rng.js";
import { BOS, meterToken, modeToken } from "../src/music/tokens.js";
import { benchPreview, previewStart } from "./preview.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(arg("runs") ?? 20);
const modelDir = arg("model") ?? config().modelDir;

// Start-up costs of the preview first, before the model takes memory and time.
const previewStarted = await previewStart();
const composer = await loadComposer(modelDir, "wasm");
console.log(`model ${composer.model.name} on ${composer.model.backend}`);
const request = (seedValue: number, candidates: number) =>
  validateRequest({ style: "reel", key: "D major", bars: 16, seedValue, candidates });

{
  const tunes = [];
  for (let i = 0; i < runs; i++)
    tunes.push((await composer.compose(request(200 + i, 8), { audio: false, score: false })).tune);
  await benchPreview(previewStarted, tunes);
}
if (process.argv.includes("--preview-only")) {
  composer.dispose();
  process.exit(0);
}

// Warm up kernels and caches.
await composer.compose(request(0, 8));

const msPerToken = new Map<number, number>();
const msPerStep = new Map<number, number>();
for (const batch of [1, 8]) {
  let ms = 0;
  let steps = 0;
  let tokens = 0;
  for (let i = 1; i <= 10; i++) {
    const r = await composer.compose(request(i, batch), { audio: false, score: false });
    ms += r.timings.generateMs;
    steps += Math.max(...r.candidates.map((c) => c.tokens));
    tokens += r.candidates.reduce((n, c) => n + c.tokens, 0);
  }
  msPerToken.set(batch, ms / tokens);
  msPerStep.set(batch, ms / steps);
  console.log(
    `sampling at batch ${batch}: ${(ms / steps).toFixed(3)} ms per step, ${(ms / tokens).toFixed(3)} ms per token ` +
      `(${Math.round(tokens / 10)} tokens per tune set)`,
  );
}

console.log(
  `one batch-8 step costs ${((msPerStep.get(8) as number) / (msPerStep.get(1) as number)).toFixed(1)}x a batch-1 step ` +
    "(eight single runs would cost 8x)",
);

const totals: number[] = [];
const parts = { generateMs: 0, midiMs: 0, audioMs: 0, scoreMs: 0 };
for (let i = 0; i < runs; i++) {
  const r = await composer.compose(request(100 + i, 8));
  totals.push(r.timings.totalMs);
  for (const k of Object.keys(parts) as (keyof typeof parts)[]) parts[k] += r.timings[k] / runs;
}
totals.sort((a, b) => a - b);
const quantile = (q: number) => totals[Math.min(totals.length - 1, Math.floor(q * totals.length))] as number;
console.log(
  `16-bar reel, best of 8, all renderings (${runs} runs): median ${Math.round(quantile(0.5))} ms, p95 ${Math.round(quantile(0.95))} ms ` +
    `(mean: generate ${Math.round(parts.generateMs)}, midi ${Math.round(parts.midiMs)}, audio ${Math.round(parts.audioMs)}, score ${Math.round(parts.scoreMs)})`,
);
composer.dispose();

// The naive way: re-run the whole LayersModel over the growing sequence for every token.
const vocabulary = readModelVocabulary(modelDir);
const layers = await loadLayersModel(modelDir, { vocabulary });
const rng = new Rng(1);
const ids = vocabulary.encode([BOS, meterToken(2, 2), modeToken("major")]);
const naiveTokens = 100;
const started = performance.now();
for (let t = 0; t < naiveTokens; t++) {
  const logits = tf.tidy(() => {
    const x = tf.oneHot(tf.tensor1d(ids, "int32"), vocabulary.size).toFloat().expandDims(0);
    const out = layers.predict(x) as tf.Tensor;
    return out.slice([0, ids.length - 1, 0], [1, 1, vocabulary.size]).dataSync() as Float32Array;
  });
  let best = 3;
  for (let v = 3; v < logits.length; v++)
    if ((logits[v] as number) + rng.next() > (logits[best] as number)) best = v;
  ids.push(best);
}
const naiveMs = (performance.now() - started) / naiveTokens;
layers.dispose();
const ours = msPerToken.get(1) as number;
console.log(
  `naive model.predict on the growing sequence: ${naiveMs.toFixed(2)} ms per token over ${naiveTokens} tokens; ` +
    `our sampler at batch 1 is ${(naiveMs / ours).toFixed(1)}x faster`,
);
