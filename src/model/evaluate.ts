import { bitsPerNote, type Dataset, type EncodedTune } from "./data.js";
import { type SequenceModel, trainKneserNey, trainUnigram } from "./ngram.js";

/**
 * Loss in nats per token (comparable only between models on the same tokens) and bits per
 * note (total negative log-likelihood of a tune over its notes: comparable across
 * tokenizations). The first token, `<s>`, is given, not predicted.
 */
export interface Scores {
  readonly tunes: number;
  readonly tokens: number;
  readonly notes: number;
  readonly natsPerToken: number;
  readonly bitsPerNote: number;
}

/** Aggregates per-tune negative log-likelihoods (nats). */
export function summariseNll(tunes: readonly EncodedTune[], nllPerTune: readonly number[]): Scores {
  const total = nllPerTune.reduce((a, b) => a + b, 0);
  const tokens = tunes.reduce((n, t) => n + t.ids.length - 1, 0);
  const notes = tunes.reduce((n, t) => n + t.notes, 0);
  return {
    tunes: tunes.length,
    tokens,
    notes,
    natsPerToken: total / Math.max(1, tokens),
    bitsPerNote: bitsPerNote(total, notes),
  };
}

export function scoreSequenceModel(model: SequenceModel, tunes: readonly EncodedTune[]): Scores {
  const nll = tunes.map((t) => {
    let sum = 0;
    for (let i = 1; i < t.ids.length; i++) sum -= model.logProb(t.ids.slice(0, i), t.ids[i] as number);
    return sum;
  });
  return summariseNll(tunes, nll);
}

/** The count baselines every model is compared with, learnt from the training split. */
export function scoreBaselines(data: Dataset, vocabSize: number): Record<string, Scores> {
  const train = data.train.map((t) => t.ids);
  return {
    unigram: scoreSequenceModel(trainUnigram(train, vocabSize), data.validation),
    "5-gram Kneser-Ney": scoreSequenceModel(trainKneserNey(train, vocabSize, 5), data.validation),
  };
}
