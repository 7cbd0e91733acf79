import { tf } from "./backend.js";
import {
  type AdamInternals,
  adamInternals,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type NamedTensor,
  readCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./checkpoint.js";
import {
  describe,
  initWeights,
  type LstmConfig,
  type LstmState,
  type LstmWeights,
  weightShapes,
  weightsFromArrays,
  weightsToArrays,
  weightVariables,
} from "./lstm-weights.js";
import { Rng } from "./rng.js";
import type { TrainHyperparameters, TrainOptions } from "./train-types.js";

/**
 * What a training run carries from step to step — weights, the best weights so far, the
 * recurrent state carried between windows, Adam's slots, the dropout generator and the
 * loop's counters — started fresh or restored bit-exactly from a checkpoint, and saved
 * to one. The loop itself is trainer.ts.
 */
export interface TrainingSession {
  readonly config: LstmConfig;
  readonly hyper: TrainHyperparameters;
  /** Of the train/validation split: a checkpoint resumes only on the same tunes. */
  readonly dataFingerprint: string;
  readonly optimizer: tf.AdamOptimizer;
  readonly adam: AdamInternals;
  readonly weights: LstmWeights;
  readonly dropoutRng: Rng;
  readonly state: TrainState;
  /** Weights of the best validation loss so far. */
  bestArrays: Float32Array[] | undefined;
  /** The recurrent state at the end of the last window, carried into the next one. */
  carry: LstmState | undefined;
  /** Started from a checkpoint. */
  readonly resumed: boolean;
}

/** A fresh session, or the one in options.checkpointDir when options.resume. */
export async function openSession(options: TrainOptions, dataFingerprint: string): Promise<TrainingSession> {
  const checkpoint = options.resume ? await readResumable(options, dataFingerprint) : undefined;
  const optimizer = tf.train.adam(options.hyper.learningRate);
  const adam = adamInternals(optimizer);
  const start = checkpoint ? await restore(checkpoint, options.config, optimizer, adam) : freshStart(options);
  adam.learningRate = start.state.learningRate;
  return {
    config: options.config,
    hyper: options.hyper,
    dataFingerprint,
    optimizer,
    adam,
    ...start,
    dropoutRng: new Rng(start.state.dropoutRng),
    resumed: checkpoint !== undefined,
  };
}

type Start = Pick<TrainingSession, "weights" | "state" | "bestArrays" | "carry">;

/** The checkpoint to resume, refused unless it is of this model, these settings and these tunes. */
async function readResumable(options: TrainOptions, dataFingerprint: string): Promise<Checkpoint> {
  const { config, hyper } = options;
  if (!options.checkpointDir) throw new Error("resume needs a checkpointDir");
  const checkpoint = await readCheckpoint(options.checkpointDir);
  if (!checkpoint) throw new Error(`no checkpoint to resume in ${options.checkpointDir}`);
  const j = checkpoint.json;
  if (!sameConfig(j.config, config))
    throw new Error(`the checkpoint is for ${describe(j.config)}, not ${describe(config)}`);
  if (j.hyper.batchSize !== hyper.batchSize || j.hyper.seqLen !== hyper.seqLen)
    throw new Error(
      `the checkpoint was trained with batchSize ${j.hyper.batchSize} and seqLen ${j.hyper.seqLen}; resume with the same values`,
    );
  if (j.hyper.seed !== hyper.seed) throw new Error(`the checkpoint was trained with seed ${j.hyper.seed}`);
  if (j.dataFingerprint !== dataFingerprint)
    throw new Error("the checkpoint was trained on different tunes (train/validation split differs)");
  return checkpoint;
}

/** Weights, best weights, carry and Adam's state as the checkpoint has them. */
async function restore(
  checkpoint: Checkpoint,
  config: LstmConfig,
  optimizer: tf.AdamOptimizer,
  adam: AdamInternals,
): Promise<Start> {
  const { json, arrays } = checkpoint;
  const shapes = weightShapes(config);
  const get = (name: string): Float32Array => {
    const a = arrays.get(name);
    if (!a) throw new Error(`checkpoint is missing tensor ${name}`);
    return a;
  };
  const weights = weightsFromArrays(
    config,
    shapes.map((_, i) => get(`weight/${i}`)),
  );
  const bestArrays = json.hasBest ? shapes.map((_, i) => get(`best/${i}`)) : undefined;
  const carry = json.hasCarry
    ? {
        h: Array.from({ length: config.layers }, (_, l) => get(`carry/h/${l}`)),
        c: Array.from({ length: config.layers }, (_, l) => get(`carry/c/${l}`)),
        ...(json.hasCarryCondition ? { condition: Int32Array.from(get("carry/condition")) } : {}),
      }
    : undefined;
  if (json.adam.slots > 0) {
    const vars = weightVariables(weights);
    const slots: NamedTensor[] = [{ name: "iter", tensor: tf.scalar(json.adam.iterations, "int32") }];
    for (const kind of ["m", "v"])
      for (const [i, v] of vars.entries()) {
        slots.push({
          name: `${v.name}/${kind}`,
          tensor: tf.tensor(get(`adam/${kind}/${i}`), shapes[i] as number[]),
        });
      }
    await optimizer.setWeights(slots);
    tf.dispose(slots.map((s) => s.tensor));
  }
  tf.tidy(() => {
    adam.accBeta1?.assign(tf.scalar(json.adam.accBeta1));
    adam.accBeta2?.assign(tf.scalar(json.adam.accBeta2));
  });
  return { weights, state: json.state, bestArrays, carry };
}

/** New weights (or a copy of options.initialWeights) and the counters at zero. */
function freshStart(options: TrainOptions): Start {
  const { config, hyper, initialWeights } = options;
  if (initialWeights && !sameConfig(initialWeights.config, config)) {
    const a = initialWeights.config;
    if (a.vocabSize !== config.vocabSize || a.layers !== config.layers || a.units !== config.units)
      throw new Error(`initial weights are ${describe(a)}, the config asks for ${describe(config)}`);
  }
  const weights = initialWeights
    ? weightsFromArrays(config, weightsToArrays(initialWeights))
    : initWeights(config, hyper.seed);
  const state: TrainState = {
    step: 0,
    epoch: 0,
    chunk: 0,
    phase: "train",
    learningRate: hyper.learningRate,
    bestValLoss: null,
    bestEpoch: -1,
    bestValNll: 0,
    bestValTokens: 0,
    epochsSinceBest: 0,
    epochsSinceLrChange: 0,
    dropoutRng: Rng.derive(hyper.seed, 0xd209).state(),
    history: [],
    epochNll: 0,
    epochTokens: 0,
    epochCorrect: 0,
    epochSeconds: 0,
  };
  return { weights, state, bestArrays: undefined, carry: undefined };
}

/** Writes the session to `<dir>/checkpoint/` (checkpoint.ts), everything a bit-exact resume needs. */
export async function saveSession(session: TrainingSession, dir: string): Promise<void> {
  const { config, hyper, optimizer, adam, state, carry } = session;
  const shapes = weightShapes(config);
  const vars = weightVariables(session.weights);
  const arrays: [string, number[], Float32Array][] = [];
  const current = weightsToArrays(session.weights);
  for (const [i, a] of current.entries()) arrays.push([`weight/${i}`, shapes[i] as number[], a]);
  for (const [i, a] of (session.bestArrays ?? []).entries())
    arrays.push([`best/${i}`, shapes[i] as number[], a]);
  const slotWeights = await optimizer.getWeights();
  const slotCount = (slotWeights.length - 1) / 2;
  if (slotCount > 0 && slotCount !== vars.length) throw new Error("unexpected Adam slot layout");
  for (let i = 0; i < slotCount; i++) {
    const m = slotWeights[1 + i] as NamedTensor;
    const v = slotWeights[1 + slotCount + i] as NamedTensor;
    arrays.push([
      `adam/m/${i}`,
      shapes[i] as number[],
      Float32Array.from(m.tensor.dataSync() as Float32Array),
    ]);
    arrays.push([
      `adam/v/${i}`,
      shapes[i] as number[],
      Float32Array.from(v.tensor.dataSync() as Float32Array),
    ]);
  }
  const iterations = (slotWeights[0] as NamedTensor).tensor.dataSync()[0] as number;
  (slotWeights[0] as NamedTensor).tensor.dispose();
  if (carry) {
    const shape = [hyper.batchSize, config.units];
    for (const [l, a] of carry.h.entries()) arrays.push([`carry/h/${l}`, shape, a]);
    for (const [l, a] of carry.c.entries()) arrays.push([`carry/c/${l}`, shape, a]);
    if (carry.condition)
      arrays.push(["carry/condition", [hyper.batchSize], Float32Array.from(carry.condition)]);
  }
  state.dropoutRng = session.dropoutRng.state();
  await saveCheckpoint(
    dir,
    {
      format: CHECKPOINT_FORMAT,
      config: { ...config },
      hyper: { ...hyper },
      dataFingerprint: session.dataFingerprint,
      state,
      adam: {
        iterations,
        accBeta1: (adam.accBeta1?.dataSync()[0] as number | undefined) ?? 0,
        accBeta2: (adam.accBeta2?.dataSync()[0] as number | undefined) ?? 0,
        slots: slotCount,
      },
      hasBest: session.bestArrays !== undefined,
      hasCarry: carry !== undefined,
      hasCarryCondition: carry?.condition !== undefined,
    },
    arrays,
  );
}

function sameConfig(a: LstmConfig, b: LstmConfig): boolean {
  return (
    a.vocabSize === b.vocabSize &&
    a.layers === b.layers &&
    a.units === b.units &&
    a.dropout === b.dropout &&
    (a.conditionIds ?? []).join() === (b.conditionIds ?? []).join()
  );
}
