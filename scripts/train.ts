/**
 * Trains a model on an ABC collection and writes it, ready for the bot, to --out:
 * model.json + weights.bin (a standard tfjs LayersModel), vocab.json, card.json,
 * metrics.json and loss-curve.png. Ctrl-C saves a checkpoint; --resume continues it.
 *
 *   npm run train -- --corpus ../shared/corpus --out models/folk-styles-2x256 \
 *     [--layers 2] [--units 256] [--dropout 0.3] [--epochs 30] [--batch 32] [--seq 128] \
 *     [--lr 0.002] [--seed 1] [--lr-patience 1] [--tune-type every-step|header] [--type-floor 0] [--resume]
 *     [--init models/<parent>]
 *
 * --init fine-tunes a trained model (same layers and units) instead of starting from
 * random weights; tokens the corpus adds to its vocabulary (tune types) start fresh.
 * --tune-type header reads the tune type once, in the header, as models before 2026-12-06 did;
 * every-step adds it to the input at every step of the tune. --type-floor N repeats the
 * training tunes of tune types with fewer than N tunes (at most 8 times each).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { config } from "../src/config.js";
import { trainPretrained } from "../src/model/pretrain.js";
import { parseCommandLine } from "./command-line.js";
import { startProgressBar } from "./progress.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    corpus: { type: "string", default: "../shared/corpus" },
    out: { type: "string", default: "models/folk-styles-2x256" },
    layers: { type: "string", default: "2" },
    units: { type: "string", default: "256" },
    dropout: { type: "string", default: "0.3" },
    "tune-type": { type: "string", default: "every-step" },
    epochs: { type: "string", default: "30" },
    batch: { type: "string", default: "32" },
    seq: { type: "string", default: "128" },
    lr: { type: "string", default: "0.002" },
    seed: { type: "string", default: "1" },
    "lr-patience": { type: "string", default: "1" },
    "type-floor": { type: "string", default: "0" },
    resume: { type: "boolean", default: false },
    init: { type: "string" },
  },
});

const out = path.resolve(values.out as string);
mkdirSync(out, { recursive: true });
const controller = new AbortController();
process.once("SIGINT", () => {
  console.error("\nStopping: saving a checkpoint you can --resume …");
  controller.abort();
});

const bar = startProgressBar();
const result = await trainPretrained({
  corpus: values.corpus as string,
  out,
  backend: config().tfBackend,
  architecture: {
    layers: Number(values.layers),
    units: Number(values.units),
    dropout: Number(values.dropout),
    typeEveryStep: typeInput(values["tune-type"] as string),
  },
  hyper: {
    maxEpochs: Number(values.epochs),
    batchSize: Number(values.batch),
    seqLen: Number(values.seq),
    learningRate: Number(values.lr),
    seed: Number(values.seed),
    lrPatience: Number(values["lr-patience"]),
    typeFloor: Number(values["type-floor"]),
  },
  resume: values.resume as boolean,
  ...(values.init ? { initFrom: path.resolve(values.init) } : {}),
  signal: controller.signal,
  onProgress: bar.update,
  onEpoch: bar.epoch,
  log: bar.log,
});
bar.stop();

if (result.stopReason === "aborted") {
  console.log(`Checkpoint saved in ${out}/checkpoint; continue with --resume.`);
} else {
  console.log(
    `Done (${result.stopReason}) in ${Math.round(result.card.training.seconds)} s: validation ` +
      `${result.card.results.validationLoss.toFixed(3)} nats/token, ` +
      `${result.card.results.validationBitsPerNote.toFixed(3)} bits/note → ${out}`,
  );
}

function typeInput(value: string): boolean {
  if (value === "every-step" || value === "header") return value === "every-step";
  console.error(`--tune-type is every-step or header, not ${JSON.stringify(value)}`);
  process.exit(2);
}
