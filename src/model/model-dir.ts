import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../atomic-write.js";
import { Vocabulary } from "../music/vocabulary.js";
import { type ModelCard, parseCard } from "./card.js";
import { loadLstmWeights, saveLayersModel, VOCAB_JSON } from "./layers-model.js";
import type { LstmWeights } from "./lstm-weights.js";
import { checkModelVocabulary } from "./vocabulary-check.js";

/**
 * A model directory: model.json + weights.bin (tfjs LayersModel), vocab.json and
 * card.json, with metrics.json and loss-curve.png beside them. Loading checks that the
 * three belong together; every trained model (npm run train, a retraining) is written
 * by saveModelDir.
 */
export interface LoadedModel {
  readonly dir: string;
  readonly weights: LstmWeights;
  readonly vocabulary: Vocabulary;
  readonly card?: ModelCard;
}

export class ModelDirError extends Error {}

/** The vocabulary stored next to a model (vocab.json), without loading the weights. */
export function readModelVocabulary(dir: string): Vocabulary {
  return Vocabulary.fromJSON(JSON.parse(readFileSync(path.join(dir, VOCAB_JSON), "utf8")));
}

export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const vocabularyFile = path.join(dir, VOCAB_JSON);
  if (!existsSync(path.join(dir, "model.json"))) {
    throw new ModelDirError(`no model in ${dir} (model.json is missing); train one with npm run train`);
  }
  if (!existsSync(vocabularyFile))
    throw new ModelDirError(`${vocabularyFile} is missing: a model needs its vocabulary`);
  const vocabulary = readModelVocabulary(dir);
  const cardFile = path.join(dir, "card.json");
  const card = existsSync(cardFile)
    ? parseCard(JSON.parse(readFileSync(cardFile, "utf8")), cardFile)
    : undefined;
  if (card)
    checkModelVocabulary(
      { fingerprint: card.vocabularyFingerprint },
      vocabulary,
      (m) =>
        new ModelDirError(
          `${vocabularyFile} is not the vocabulary ${cardFile} was trained with (fingerprint ${m.vocabulary}, expected ${m.model})`,
        ),
    );
  const weights = await loadLstmWeights(dir, { vocabulary, vocabularyFile });
  return { dir, weights, vocabulary, ...(card ? { card } : {}) };
}

/** What a trained model's directory holds besides the model. */
export interface ModelDirFiles {
  readonly vocabulary: Vocabulary;
  readonly card: ModelCard;
  /** The run's history and results (metrics.json). */
  readonly metrics: unknown;
  /** The loss curve, rendered (loss-curve.png). */
  readonly lossCurve: Uint8Array;
}

/** Writes a model directory, each file atomically; the card also goes into the model's metadata. */
export async function saveModelDir(dir: string, weights: LstmWeights, files: ModelDirFiles): Promise<void> {
  const { vocabulary, card, metrics } = files;
  await saveLayersModel(weights, dir, { vocabulary, metadata: { card } });
  await writeFileAtomic(path.join(dir, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, "metrics.json"), `${JSON.stringify(metrics, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, "loss-curve.png"), files.lossCurve);
}
