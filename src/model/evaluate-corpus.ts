import path from "node:path";
import type { TfBackend } from "../config.js";
import { analyseCorpus, readCorpusSources } from "../music/corpus.js";
import { initBackend } from "./backend.js";
import { splitDataset } from "./data.js";
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

/**
 * Scores a model and two count baselines on the held-out (by tune name) part of any ABC
 * collection; the baselines learn from the rest of it. Tunes whose symbols the model's
 * vocabulary lacks are counted and skipped.
 */
export async function evaluateModelOnCorpus(
  modelDir: string,
  corpus: string,
  backend: TfBackend,
): Promise<EvaluationReport> {
  const choice = await initBackend(backend);
  const model = await loadModelDir(modelDir);
  try {
    const analysis = analyseCorpus(readCorpusSources(corpus));
    const representable = analysis.parsed.filter((t) => model.vocabulary.unknown(t.tokens).length === 0);
    const data = splitDataset(representable, model.vocabulary);
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
