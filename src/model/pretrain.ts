import path from "node:path";
import type { TfBackend } from "../config.js";
import {
  analyseCorpus,
  type CorpusAnalysis,
  readCorpusSources,
  trainingVocabulary,
} from "../music/corpus.js";
import { parseRhythmToken } from "../music/tune-type.js";
import { Vocabulary } from "../music/vocabulary.js";
import { lossCurveSvg } from "../render/loss-curve.js";
import { svgToPng } from "../render/png.js";
import { initBackend } from "./backend.js";
import type { ModelCard } from "./card.js";
import { balanceTypes, bitsPerNote, type Dataset, type EncodedTune, splitDataset } from "./data.js";
import { type Scores, scoreBaselines } from "./evaluate.js";
import { describe, disposeWeights, type LstmConfig, type LstmWeights } from "./lstm-weights.js";
import { type LoadedModel, loadModelDir, saveModelDir } from "./model-dir.js";
import type { EpochRecord, StopReason, TrainProgress, TrainResult } from "./train-types.js";
import { evaluateTunes, trainModel } from "./trainer.js";
import { transferWeights } from "./vocab-transfer.js";

/**
 * Training a model from an ABC collection, end to end: corpus → vocabulary → split by
 * tune name → training → the model directory (LayersModel, vocab.json, card.json,
 * metrics.json, loss-curve.png) with the validation scores of the model and of two count baselines.
 */
export interface PretrainOptions {
  readonly corpus: string;
  readonly out: string;
  readonly backend: TfBackend;
  readonly architecture: {
    readonly layers: number;
    readonly units: number;
    readonly dropout: number;
    /** Condition every step on the tune type (LstmConfig.conditionIds), not only the header. */
    readonly typeEveryStep?: boolean;
  };
  readonly hyper: {
    readonly maxEpochs: number;
    readonly batchSize: number;
    readonly seqLen: number;
    readonly learningRate: number;
    readonly seed: number;
    /**
     * Epochs without a better validation loss before the learning rate halves (default 1);
     * training stops after 4. One noisy epoch can halve it early.
     */
    readonly lrPatience?: number;
    /** Repeat the training tunes of types with fewer tunes than this (balanceTypes); 0: off. */
    readonly typeFloor?: number;
  };
  readonly resume?: boolean;
  /** Start from this model directory's weights (same layers and units), its vocabulary widened. */
  readonly initFrom?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onEpoch?: (e: EpochRecord) => void;
  readonly log?: (line: string) => void;
}

export interface PretrainResult {
  readonly stopReason: StopReason;
  readonly card: ModelCard;
}

export async function trainPretrained(options: PretrainOptions): Promise<PretrainResult> {
  const log = options.log ?? (() => {});
  const backend = await initBackend(options.backend, log);
  const prepared = await prepareData(options, log);
  const { vocabulary, data } = prepared;
  const { layers, units, dropout, typeEveryStep } = options.architecture;
  const config: LstmConfig = {
    vocabSize: vocabulary.size,
    layers,
    units,
    dropout,
    ...(typeEveryStep ? { conditionIds: typeTokenIds(vocabulary) } : {}),
  };
  const initialWeights = prepared.parent
    ? inheritWeights(prepared.parent, vocabulary, options, log)
    : undefined;
  const result = await trainModel({
    ...(initialWeights ? { initialWeights } : {}),
    train: balanceTypes(data.train, (t) => typeOfTune(t, vocabulary), options.hyper.typeFloor ?? 0).map(
      (t) => t.ids,
    ),
    validation: data.validation.map((t) => t.ids),
    config,
    hyper: {
      ...options.hyper,
      clipNorm: 5,
      patience: 4,
      lrDecayFactor: 0.5,
      lrPatience: options.hyper.lrPatience ?? 1,
      minLearningRate: 1e-5,
    },
    checkpointDir: options.out,
    ...(options.resume ? { resume: true } : {}),
    checkpointEverySteps: 200,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  });
  if (initialWeights) disposeWeights(initialWeights);
  try {
    const card = await modelCard(options, prepared, result, backend.name);
    if (result.stopReason !== "aborted") await writeModel(options.out, result, card, vocabulary);
    return { stopReason: result.stopReason, card };
  } finally {
    disposeWeights(result.bestWeights);
  }
}

/** The tune type token of an encoded tune's header, if it has one. */
function typeOfTune(tune: EncodedTune, vocabulary: Vocabulary): string | undefined {
  return tune.ids
    .slice(0, 5)
    .map((id) => vocabulary.tokens[id] as string)
    .find((token) => parseRhythmToken(token) !== undefined);
}

function typeTokenIds(vocabulary: Vocabulary): number[] {
  return vocabulary.tokens.flatMap((token, id) => (parseRhythmToken(token) ? [id] : []));
}

interface Prepared {
  readonly analysis: CorpusAnalysis;
  /** The model fine-tuned from (--init-from); its weights are disposed once carried over. */
  readonly parent: LoadedModel | undefined;
  readonly vocabulary: Vocabulary;
  readonly data: Dataset;
  readonly baselines: Record<string, Scores>;
}

/** The corpus read and split by tune name, its vocabulary, and the count baselines' scores. */
async function prepareData(options: PretrainOptions, log: (line: string) => void): Promise<Prepared> {
  const analysis = analyseCorpus(readCorpusSources(options.corpus));
  const parent = options.initFrom ? await loadModelDir(options.initFrom) : undefined;
  // A fine-tuned model keeps every token its parent knew, so its rows carry over.
  const vocabulary = parent
    ? Vocabulary.build([...analysis.usable.map((t) => t.tokens), parent.vocabulary.tokens])
    : trainingVocabulary(analysis);
  const data = splitDataset(analysis.usable, vocabulary);
  log(
    `corpus ${analysis.contentHash}: ${data.train.length} training and ${data.validation.length} validation tunes, ` +
      `${vocabulary.size} tokens in the vocabulary`,
  );
  const baselines = scoreBaselines(data, vocabulary.size);
  for (const [name, s] of Object.entries(baselines)) {
    log(`baseline ${name}: ${s.natsPerToken.toFixed(3)} nats/token, ${s.bitsPerNote.toFixed(3)} bits/note`);
  }
  return { analysis, parent, vocabulary, data, baselines };
}

/** The parent's weights widened to the new vocabulary (same layers and units required); the parent's are disposed. */
function inheritWeights(
  parent: LoadedModel,
  vocabulary: Vocabulary,
  options: PretrainOptions,
  log: (line: string) => void,
): LstmWeights {
  const p = parent.weights.config;
  if (p.layers !== options.architecture.layers || p.units !== options.architecture.units)
    throw new Error(
      `${options.initFrom} is ${describe(p)}; train with --layers ${p.layers} --units ${p.units}`,
    );
  const weights = transferWeights(parent.weights, parent.vocabulary, vocabulary, options.hyper.seed);
  disposeWeights(parent.weights);
  log(`starting from ${options.initFrom} (${vocabulary.size - parent.vocabulary.size} new tokens)`);
  return weights;
}

/** The model card: architecture, corpus, training and the best weights' validation scores. */
async function modelCard(
  options: PretrainOptions,
  prepared: Prepared,
  result: TrainResult,
  backend: string,
): Promise<ModelCard> {
  const { analysis, vocabulary, data, baselines } = prepared;
  const seconds = sumTrainSeconds(result.history);
  const validationTargets = data.validation.map((t) => t.ids);
  const { nll, tokens, correct } = await evaluateTunes(result.bestWeights, validationTargets);
  const notes = data.validation.reduce((n, t) => n + t.notes, 0);
  const last = result.history.at(-1);
  const trainTokens = data.train.reduce((n, t) => n + t.ids.length - 1, 0);
  return {
    format: "tunesmith-card/1",
    name: path.basename(options.out),
    created: new Date().toISOString(),
    architecture: { ...options.architecture, vocabSize: vocabulary.size },
    vocabularyFingerprint: vocabulary.fingerprint(),
    corpus: {
      description: `${options.corpus}: ${analysis.files} files, ${analysis.unique} unique tunes, ${analysis.usable.length} parsed with every bar fitting the meter`,
      contentHash: analysis.contentHash,
      trainTunes: data.train.length,
      validationTunes: data.validation.length,
      trainTokens,
      validationTokens: tokens,
    },
    training: {
      epochs: result.history.length,
      steps: result.step,
      seqLen: options.hyper.seqLen,
      batchSize: options.hyper.batchSize,
      learningRate: options.hyper.learningRate,
      ...(options.hyper.typeFloor ? { typeFloor: options.hyper.typeFloor } : {}),
      ...(options.initFrom ? { parent: path.basename(options.initFrom) } : {}),
      seconds,
      backend,
      tokensPerSecond: (trainTokens * result.history.length) / Math.max(1, seconds),
    },
    results: {
      trainLoss: last?.trainLoss ?? Number.NaN,
      validationLoss: nll / Math.max(1, tokens),
      validationBitsPerNote: bitsPerNote(nll, notes),
      validationAccuracy: correct / Math.max(1, tokens),
      baselines,
    },
  };
}

/** The model directory: the best weights, vocabulary, card, per-epoch metrics and the loss curve. */
async function writeModel(
  out: string,
  result: TrainResult,
  card: ModelCard,
  vocabulary: Vocabulary,
): Promise<void> {
  const curve = result.history.map((h) => ({
    epoch: h.epoch + 1,
    train: h.trainLoss,
    validation: h.valLoss,
    ...(h.trainAccuracy !== undefined ? { trainAccuracy: h.trainAccuracy } : {}),
    ...(h.valAccuracy !== undefined ? { validationAccuracy: h.valAccuracy } : {}),
  }));
  const history = result.history.map((h) => ({
    ...h,
    trainPerplexity: Math.exp(h.trainLoss),
    valPerplexity: Math.exp(h.valLoss),
  }));
  const metrics = { history, stopReason: result.stopReason, best: result.best };
  await saveModelDir(out, result.bestWeights, {
    vocabulary,
    card,
    metrics,
    lossCurve: svgToPng(lossCurveSvg(curve, `${card.name}: loss per epoch`)),
  });
}

function sumTrainSeconds(history: readonly EpochRecord[]): number {
  return history.reduce((s, h) => s + h.seconds, 0);
}
