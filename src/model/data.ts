import { createHash } from "node:crypto";
import type { CorpusTune } from "../music/corpus.js";
import { parsePitchToken } from "../music/tokens.js";
import type { Vocabulary } from "../music/vocabulary.js";

/**
 * Training material: tunes as token ids, split into training and validation sets by
 * *tune name*, not by window or by transcription, so that two settings of the same tune
 * (O'Neill's has several) never sit on both sides of the split.
 */
export interface EncodedTune {
  readonly title: string;
  readonly ids: readonly number[];
  /** Number of notes, the denominator of bits per note. */
  readonly notes: number;
}

export interface Dataset {
  readonly train: readonly EncodedTune[];
  readonly validation: readonly EncodedTune[];
}

/** Share of tune names held out for validation. */
export const VALIDATION_SHARE = 0.08;

export function splitDataset(
  tunes: readonly CorpusTune[],
  vocabulary: Vocabulary,
  share = VALIDATION_SHARE,
): Dataset {
  const train: EncodedTune[] = [];
  const validation: EncodedTune[] = [];
  for (const t of tunes) {
    const encoded: EncodedTune = {
      title: t.tune.title,
      ids: vocabulary.encode(t.tokens),
      notes: countNotes(t.tokens),
    };
    (isValidationName(t.tune.title, share) ? validation : train).push(encoded);
  }
  return { train, validation };
}

/** Bits per note: a total negative log-likelihood (nats) over the notes it covers, our headline score. */
export function bitsPerNote(nll: number, notes: number): number {
  return nll / Math.LN2 / Math.max(1, notes);
}

export function countNotes(tokens: readonly string[]): number {
  return tokens.reduce((n, t) => (parsePitchToken(t) ? n + 1 : n), 0);
}

/** Stable across runs and machines: a hash of the normalised name. */
export function isValidationName(title: string, share = VALIDATION_SHARE): boolean {
  const digest = createHash("sha256").update(normaliseTitle(title)).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}

/** The tunes of the training split (the others are held out by name, see isValidationName). */
export function trainingTunes<T extends { readonly title: string }>(tunes: readonly T[]): T[] {
  return tunes.filter((t) => !isValidationName(t.title));
}

/** "The Merry Tailor", "Merry Tailor, The" and "MERRY TAILOR." are one tune. */
export function normaliseTitle(title: string): string {
  return title
    .toLowerCase()
    .replace(/\b(the|an|a)\b/g, " ")
    .replace(/\b(no|number)\.?\s*\d+\b|\b\d+(st|nd|rd|th)\s+setting\b|\bsetting\b/g, " ")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** Most times one tune is repeated by balanceTypes. */
export const MAX_TYPE_REPEATS = 8;

/**
 * Training tunes with the tunes of rare types repeated: a type with fewer than `floor`
 * tunes has each of them round(floor / count) times (at most MAX_TYPE_REPEATS), so that the
 * model learns what, say, 42 polkas add to 2/4 instead of drowning them in its other 2/4
 * tunes. Untyped tunes and common types once each; 0 turns it off.
 */
export function balanceTypes<T>(
  tunes: readonly T[],
  typeOf: (tune: T) => string | undefined,
  floor: number,
): T[] {
  if (floor <= 0) return [...tunes];
  const counts = new Map<string, number>();
  for (const t of tunes) {
    const type = typeOf(t);
    if (type !== undefined) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return tunes.flatMap((t) => {
    const type = typeOf(t);
    const count = type === undefined ? floor : (counts.get(type) as number);
    const repeats = count >= floor ? 1 : Math.min(MAX_TYPE_REPEATS, Math.max(1, Math.round(floor / count)));
    return Array.from({ length: repeats }, () => t);
  });
}
