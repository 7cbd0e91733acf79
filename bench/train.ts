/**
 * Training and sampling speed on the wasm backend.
 *
 *   npx tsx bench/train.ts [--seconds=25]
 *
 * 1. tokens/s of our training loop (trainModel: packed batches, hand-written BPTT, global
 *    norm clipping, Adam) against a naive loop (tf.sequential of tf.layers.lstm on one-hot
 *    inputs + model.trainOnBatch) on the same model, 1×256 over V=90, batch 32, seqLen 128;
 * 2. our loop on larger candidate sizes;
 * 3. the stepper's time per token at batch 1 and 8 for U=256 and 512.
 * Each training measurement runs for about --seconds after a warm-up step.
 */
import { initBackend, tf } from "../src/model/backend.js";
import { disposeWeights, initWeights, type LstmConfig, parameterCount } from "../src/model/lstm-weights.js";
import { Rng } from "../src/model/rng.js";
import { createStepper, type StepperEngine, type StepperState } from "../src/model/sampler-step.js";
import { trainModel } from "../src/model/trainer.js";

const secondsArg = process.argv.find((a) => a.startsWith("--seconds="));
const SECONDS = secondsArg ? Number(secondsArg.slice("--seconds=".length)) : 25;
const V = 90;
const BATCH = 32;
const SEQ = 128;

const backend = await initBackend("wasm");
console.log(
  `backend ${backend.name}; ${SECONDS} s per training measurement; V=${V} batch ${BATCH} seqLen ${SEQ}`,
);

/** Random "tunes" of 100–250 tokens: speed does not depend on the data. */
function corpus(count: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const n = 100 + Math.floor(rng.next() * 150);
    return [1, ...Array.from({ length: n }, () => 3 + Math.floor(rng.next() * (V - 3))), 2];
  });
}

/** Our loop through trainModel, timed from the end of the first (warm-up) step. */
async function oursTokensPerSecond(layers: number, units: number): Promise<number> {
  const config: LstmConfig = { vocabSize: V, layers, units, dropout: 0.2 };
  const controller = new AbortController();
  let t1 = 0;
  let last = 0;
  let steps = 0;
  const result = await trainModel({
    train: corpus(3000, 1),
    validation: corpus(10, 2),
    config,
    hyper: {
      seqLen: SEQ,
      batchSize: BATCH,
      learningRate: 2e-3,
      clipNorm: 5,
      maxEpochs: 1,
      patience: 1,
      seed: 1,
      lrDecayFactor: 0.5,
      lrPatience: 1,
    },
    signal: controller.signal,
    onProgress: (p) => {
      const now = performance.now();
      if (p.stepInEpoch >= p.stepsInEpoch - 1)
        throw new Error("bench corpus too small: reached the epoch tail");
      if (p.step === 1) t1 = now;
      else {
        last = now;
        steps = p.step - 1;
      }
      if (p.step > 1 && (now - t1) / 1000 >= SECONDS) controller.abort();
    },
  });
  disposeWeights(result.bestWeights);
  // Every position of a full packed batch is a real target.
  return (steps * BATCH * SEQ) / ((last - t1) / 1000);
}

/** tf.sequential(lstm → dense softmax) on one-hot inputs, model.trainOnBatch. */
async function naiveTokensPerSecond(layers: number, units: number): Promise<number> {
  const model = tf.sequential();
  for (let l = 0; l < layers; l++)
    model.add(
      tf.layers.lstm({
        units,
        returnSequences: true,
        recurrentActivation: "sigmoid",
        recurrentInitializer: "glorotUniform", // the default orthogonal init is slow and warns; speed is the same
        ...(l === 0 ? { inputShape: [SEQ, V] } : {}),
      }),
    );
  model.add(tf.layers.dense({ units: V, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(2e-3), loss: "categoricalCrossentropy" });
  const rng = new Rng(3);
  const ids = () =>
    tf.tensor2d(
      Array.from({ length: BATCH * SEQ }, () => Math.floor(rng.next() * V)),
      [BATCH, SEQ],
      "int32",
    );
  const x = tf.tidy(() => tf.oneHot(ids(), V).toFloat());
  const y = tf.tidy(() => tf.oneHot(ids(), V).toFloat());
  await model.trainOnBatch(x, y); // warm-up
  const t0 = performance.now();
  let steps = 0;
  while ((performance.now() - t0) / 1000 < SECONDS || steps < 2) {
    await model.trainOnBatch(x, y);
    steps++;
  }
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, y]);
  model.dispose();
  return (steps * BATCH * SEQ) / seconds;
}

function stepperMsPerToken(layers: number, units: number, batch: number, engine: StepperEngine): number {
  const weights = initWeights({ vocabSize: V, layers, units, dropout: 0 }, 5);
  const stepper = createStepper(weights, { engine });
  const rng = new Rng(4);
  const ids = () => Int32Array.from({ length: batch }, () => 3 + Math.floor(rng.next() * (V - 3)));
  let state: StepperState = stepper.step(ids()).state;
  for (let i = 0; i < 10; i++) state = stepper.step(ids(), state).state;
  const budgetMs = 1500;
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < budgetMs || steps < 5) {
    state = stepper.step(ids(), state).state;
    steps++;
  }
  const ms = (performance.now() - t0) / steps;
  stepper.dispose();
  disposeWeights(weights);
  return ms / batch;
}

const fmt = (x: number): string => x.toFixed(0);
const size = (layers: number, units: number): string =>
  `${layers}x${units}, ${(parameterCount({ vocabSize: V, layers, units, dropout: 0 }) / 1e6).toFixed(2)}M params`;

const ours = await oursTokensPerSecond(1, 256);
const naive = await naiveTokensPerSecond(1, 256);
console.log(
  `train tokens/s  ours=${fmt(ours)} naive=${fmt(naive)} ratio=${(ours / naive).toFixed(1)}x  (${size(1, 256)})`,
);
for (const [layers, units] of [
  [2, 384],
  [1, 512],
] as const) {
  console.log(
    `train tokens/s  ours=${fmt(await oursTokensPerSecond(layers, units))}  (${size(layers, units)})`,
  );
}
for (const units of [256, 512]) {
  for (const layers of [1, 2]) {
    for (const batch of [1, 8]) {
      const tfMs = stepperMsPerToken(layers, units, batch, "tf");
      const jsMs = stepperMsPerToken(layers, units, batch, "js");
      console.log(
        `stepper ms/token  U=${units} layers=${layers} batch=${batch}  tf=${tfMs.toFixed(3)} js=${jsMs.toFixed(3)}`,
      );
    }
  }
}
