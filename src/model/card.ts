/**
 * The model card (card.json) that travels with every model: what it is, what it was
 * trained on, how long that took, and how good it is on tunes it never saw.
 */
export interface ModelCard {
  readonly format: "tunesmith-card/1";
  readonly name: string;
  readonly created: string;
  readonly architecture: {
    readonly layers: number;
    readonly units: number;
    readonly dropout: number;
    readonly vocabSize: number;
    /** The tune type is read at every step (LstmConfig.conditionIds); absent in older cards. */
    readonly typeEveryStep?: boolean;
  };
  readonly vocabularyFingerprint: string;
  readonly corpus: {
    readonly description: string;
    readonly contentHash: string;
    readonly trainTunes: number;
    readonly validationTunes: number;
    readonly trainTokens: number;
    readonly validationTokens: number;
  };
  readonly training: {
    readonly epochs: number;
    readonly steps: number;
    readonly seqLen: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly seconds: number;
    readonly backend: string;
    readonly tokensPerSecond: number;
    /** Rare types' tunes were repeated up to this many tunes (balanceTypes). */
    readonly typeFloor?: number;
    readonly parent?: string;
  };
  readonly results: {
    readonly trainLoss: number;
    readonly validationLoss: number;
    readonly validationBitsPerNote: number;
    /** Next-token accuracy on the validation tunes (cards written before it lack it). */
    readonly validationAccuracy?: number;
    readonly baselines: Readonly<Record<string, { natsPerToken: number; bitsPerNote: number }>>;
  };
}

export class ModelCardError extends Error {}

export function parseCard(json: unknown, where: string): ModelCard {
  const card = json as Partial<ModelCard>;
  if (card?.format !== "tunesmith-card/1" || !card.architecture || !card.vocabularyFingerprint) {
    throw new ModelCardError(`${where} is not a Tunesmith model card (tunesmith-card/1)`);
  }
  return card as ModelCard;
}
