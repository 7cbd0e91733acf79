import path from "node:path";
import type { TfBackend } from "../config.js";
import { analyseCorpus, readCorpusSources } from "../music/corpus.js";
import type { Vocabulary } from "../music/vocabulary.js";
import { initBackend } from "./backend.js";
import { type Dataset, splitDataset } from "./data.js";
import { type Scores, scoreBaselines, summariseNll } from "./evaluate.js";
import { disposeWeights } from "./lstm-weights.js";
import { loadModelDir } from "./model-dir.js";
import { evaluateTunes } from "./trainer.js";

export interface EvaluationReport {
  readonly model: string;
  readonly corpus: string;
  readonly backend: string;
  readonly tunes: { readonly train: number; readonly validation: number; readonly unrepresentable: number };
  readonly scores: Readonly<Record<string, Scores>>;
}

export interface CorpusEvaluationOptions {
  /**
   * Score every tune of the corpus, the baselines trained on this corpus's training split
   * (the model's own training corpus): figures on an outside collection from all its tunes.
   */
  readonly allAgainst?: string;
}

/**
 * Scores a model and two count baselines on the held-out (by tune name) part of any ABC
 * collection; the baselines learn from the rest of it. Tunes whose symbols the model's
 * vocabulary lacks are counted and skipped.
 */
export async function evaluateModelOnCorpus(
  modelDir: string,
  corpus: string,
  backend: TfBackend,
  options: CorpusEvaluationOptions = {},
): Promise<EvaluationReport> {
  const choice = await initBackend(backend);
  const model = await loadModelDir(modelDir);
  try {
    const analysis = analyseCorpus(readCorpusSources(corpus));
    const representable = analysis.parsed.filter((t) => model.vocabulary.unknown(t.tokens).length === 0);
    const data = options.allAgainst
      ? {
          train: trainingSplit(options.allAgainst, model.vocabulary),
          validation: splitDataset(representable, model.vocabulary, 1).validation,
        }
      : splitDataset(representable, model.vocabulary);
    if (data.validation.length === 0)
      throw new Error(`no held-out tunes in ${corpus}: it is too small to evaluate on`);
    const { nll } = await evaluateTunes(
      model.weights,
      data.validation.map((t) => t.ids),
    );
    return {
      model: path.basename(path.resolve(modelDir)),
      corpus,
      backend: choice.name,
      tunes: {
        train: data.train.length,
        validation: data.validation.length,
        unrepresentable: analysis.parsed.length - representable.length,
      },
      scores: {
        model: summariseNll(data.validation, [nll]),
        ...scoreBaselines(data, model.vocabulary.size),
      },
    };
  } finally {
    disposeWeights(model.weights);
  }
}

/** The training split of the model's own corpus, as the baselines' training material. */
function trainingSplit(corpus: string, vocabulary: Vocabulary): Dataset["train"] {
  const usable = analyseCorpus(readCorpusSources(corpus)).usable.filter(
    (t) => vocabulary.unknown(t.tokens).length === 0,
  );
  return splitDataset(usable, vocabulary).train;
}
