import type { LstmConfig, LstmWeights } from "./lstm-weights.js";

/** Options, progress and result types of trainModel (trainer.ts). */

export interface TrainHyperparameters {
  /** Steps per truncated-BPTT window (e.g. 128 or 256). */
  readonly seqLen: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Global-norm gradient clipping; 0 or Infinity disables it. */
  readonly clipNorm: number;
  /** At least one of maxEpochs and maxSteps is required. */
  readonly maxEpochs?: number;
  /** Global step budget (counted across resumes). */
  readonly maxSteps?: number;
  /** Stop after this many epochs without a validation improvement. */
  readonly patience: number;
  readonly seed: number;
  /** Learning rate × this after `lrPatience` epochs without improvement. */
  readonly lrDecayFactor: number;
  readonly lrPatience: number;
  readonly minLearningRate?: number;
  /** An epoch improves only if its validation loss is below the best by more than this (nats; default 0). */
  readonly minImprovement?: number;
}

export interface TrainProgress {
  readonly step: number;
  /** 0-based epoch being trained. */
  readonly epoch: number;
  readonly stepInEpoch: number;
  readonly stepsInEpoch: number;
  /** Mean NLL per target token (nats) over the epoch so far. */
  readonly trainLoss: number;
  /** Share of targets ranked first by the model, over the epoch so far. */
  readonly trainAccuracy: number;
  /** Target tokens per second of training (validation time excluded). */
  readonly tokensPerSecond: number;
  /** Estimated seconds to the planned end (maxSteps / maxEpochs; early stopping may end sooner). */
  readonly etaSeconds: number;
  readonly learningRate: number;
}

export interface EpochRecord {
  readonly epoch: number;
  /** Global step count at the end of the epoch. */
  readonly step: number;
  /** Mean training NLL per target token (nats). */
  readonly trainLoss: number;
  /** Next-token accuracy (share of targets ranked first), training epoch and validation. */
  readonly trainAccuracy?: number;
  readonly valAccuracy?: number;
  /** Mean validation NLL per target token (nats); perplexity = e^valLoss. */
  readonly valLoss: number;
  /** Total validation NLL (nats) and target count: bits/token = valNll / valTokens / ln 2. */
  readonly valNll: number;
  readonly valTokens: number;
  readonly trainTokens: number;
  /** Learning rate used during the epoch. */
  readonly learningRate: number;
  /** Wall time of the epoch, training and validation. */
  readonly seconds: number;
  readonly improved: boolean;
}

export type StopReason = "max-epochs" | "max-steps" | "early-stop" | "aborted";

export interface TrainResult {
  readonly history: readonly EpochRecord[];
  /** Weights with the lowest validation loss (the current ones if no epoch completed). Caller disposes. */
  readonly bestWeights: LstmWeights;
  readonly best?: {
    readonly epoch: number;
    readonly valLoss: number;
    readonly valNll: number;
    readonly valTokens: number;
  };
  readonly stopReason: StopReason;
  readonly step: number;
  readonly epoch: number;
  readonly learningRate: number;
  /** True when training started from a checkpoint. */
  readonly resumed: boolean;
}

export interface TrainOptions {
  /** Encoded tunes, each `<s> … </s>`. */
  readonly train: readonly (readonly number[])[];
  readonly validation: readonly (readonly number[])[];
  readonly config: LstmConfig;
  readonly hyper: TrainHyperparameters;
  /** Start from these weights (fine-tuning); copied, not modified. */
  readonly initialWeights?: LstmWeights;
  /** Where checkpoints go (`<dir>/checkpoint/`), at every epoch end, on abort and at maxSteps. */
  readonly checkpointDir?: string;
  /** Continue from the checkpoint in checkpointDir (which must exist). */
  readonly resume?: boolean;
  /** Also checkpoint every this many steps. */
  readonly checkpointEverySteps?: number;
  readonly onProgress?: (progress: TrainProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly signal?: AbortSignal;
}
