import type { ModelCard } from "../model/card.js";
import type { EncodedTune, splitDataset } from "../model/data.js";
import type { LstmWeights } from "../model/lstm-weights.js";
import type { StopReason } from "../model/train-types.js";
import type { StepLoss } from "./curve.js";
import type { GateDecision } from "./gate.js";
import type { SplitScores } from "./run-reports.js";
import type { Mix } from "./split.js";

/** The types a retraining run passes between its stages (retrain.ts and version-writer.ts). */

export interface RetrainParameters {
  readonly steps: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly toleranceBits: number;
  readonly dryRun: boolean;
  readonly minSubmissions: number;
  readonly submissionShare: number;
  readonly maxRepeats: number;
  readonly seed: number;
}

/** A retraining card: the usual card plus where the version came from and how it was judged. */
export interface RetrainCard extends ModelCard {
  readonly retraining: {
    readonly runId: number;
    readonly parent: string;
    readonly submissions: { readonly train: readonly number[]; readonly heldOut: readonly number[] };
    readonly old: SplitScores;
    readonly new: SplitScores;
    readonly gate: GateDecision & { readonly toleranceBits: number };
    readonly dryRun: boolean;
  };
}

export type EncodedSubmission = EncodedTune & { readonly id: number; readonly contentHash: string };

export interface TrainingData {
  readonly split: {
    readonly train: readonly EncodedSubmission[];
    readonly heldOut: readonly EncodedSubmission[];
  };
  readonly ids: { readonly train: readonly number[]; readonly heldOut: readonly number[] };
  readonly base: ReturnType<typeof splitDataset>;
  readonly analysisHash: string;
  readonly corpusDir: string;
}

export interface FineTuned {
  readonly weights: LstmWeights;
  readonly mix: Mix;
  readonly curve: readonly StepLoss[];
  /** Mean training loss over the run (nats/token). */
  readonly lastMean: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly steps: number;
  readonly stopReason: StopReason;
}

export interface Scores {
  readonly base: number;
  readonly submissions: number;
  /** nats/token on the base split, for the loss curve. */
  readonly baseNats: number;
}
