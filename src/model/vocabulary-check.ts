import type { Vocabulary } from "../music/vocabulary.js";

/**
 * The one check that a model and a vocabulary belong together, for every caller: loading
 * or saving a model (its width against vocab.json), a card against the vocab.json beside
 * it, a model version against the shipped model's vocabulary, weights about to be carried
 * over to a wider one. What is known of the model decides the comparison: the fingerprint
 * of the vocabulary it was trained with when that is recorded (the same tokens in the same
 * order), else only its width. Each caller says what a mismatch means to its reader.
 */
export interface FingerprintMark {
  readonly fingerprint: string;
}

export interface SizeMark {
  readonly size: number;
}

/** The model's fingerprint or width, and the vocabulary's. */
export interface VocabularyMismatch<T> {
  readonly model: T;
  readonly vocabulary: T;
}

/** Throws `refuse`'s error when the model and the vocabulary do not belong together. */
export function checkModelVocabulary(
  model: FingerprintMark,
  vocabulary: Vocabulary,
  refuse: (mismatch: VocabularyMismatch<string>) => Error,
): void;
export function checkModelVocabulary(
  model: SizeMark,
  vocabulary: Vocabulary,
  refuse: (mismatch: VocabularyMismatch<number>) => Error,
): void;
export function checkModelVocabulary(
  model: FingerprintMark | SizeMark,
  vocabulary: Vocabulary,
  refuse: (mismatch: VocabularyMismatch<never>) => Error,
): void {
  const [expected, actual] =
    "fingerprint" in model ? [model.fingerprint, vocabulary.fingerprint()] : [model.size, vocabulary.size];
  // The overloads pair a fingerprint mark with string values and a size mark with numbers.
  if (expected !== actual) throw refuse({ model: expected, vocabulary: actual } as VocabularyMismatch<never>);
}
