import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeDirAtomic } from "../atomic-write.js";
import type { tf } from "./backend.js";
import type { LstmConfig } from "./lstm-weights.js";
import type { EpochRecord, TrainHyperparameters } from "./train-types.js";

/** The trainer's checkpoints: format, atomic directory writes, save/read; Adam internals. */

export const CHECKPOINT_FORMAT = "tunesmith-train-checkpoint/1";
const CHECKPOINT_NAME = "checkpoint";

interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

export interface TrainState {
  step: number;
  epoch: number;
  /** Next window of the current epoch. */
  chunk: number;
  phase: "train" | "validate";
  learningRate: number;
  bestValLoss: number | null;
  bestEpoch: number;
  bestValNll: number;
  bestValTokens: number;
  epochsSinceBest: number;
  epochsSinceLrChange: number;
  dropoutRng: [number, number, number, number];
  history: EpochRecord[];
  epochNll: number;
  epochTokens: number;
  /** Absent in checkpoints written before accuracy was tracked. */
  epochCorrect?: number;
  epochSeconds: number;
}

interface CheckpointJson {
  format: string;
  config: LstmConfig;
  hyper: TrainHyperparameters;
  dataFingerprint: string;
  state: TrainState;
  adam: { iterations: number; accBeta1: number; accBeta2: number; slots: number };
  hasBest: boolean;
  hasCarry: boolean;
  /** The carry has the rows' condition tokens (models with LstmConfig.conditionIds). */
  hasCarryCondition?: boolean;
  tensors: TensorEntry[];
}

export interface Checkpoint {
  json: CheckpointJson;
  arrays: Map<string, Float32Array>;
}

export function fingerprint(
  train: readonly (readonly number[])[],
  validation: readonly (readonly number[])[],
): string {
  const hash = createHash("sha256");
  for (const set of [train, validation]) {
    hash.update(`${set.length};`);
    for (const tune of set) hash.update(Int32Array.from(tune));
    hash.update("|");
  }
  return hash.digest("hex").slice(0, 16);
}

export async function saveCheckpoint(
  dir: string,
  json: Omit<CheckpointJson, "tensors">,
  arrays: [string, number[], Float32Array][],
) {
  let offset = 0;
  const tensors: TensorEntry[] = arrays.map(([name, shape, data]) => {
    const entry = { name, shape, offset, length: data.length };
    offset += data.length;
    return entry;
  });
  const bin = new Float32Array(offset);
  for (const [i, [, , data]] of arrays.entries()) bin.set(data, (tensors[i] as TensorEntry).offset);
  await writeDirAtomic(dir, CHECKPOINT_NAME, [
    { name: "tensors.bin", data: new Uint8Array(bin.buffer) },
    { name: "state.json", data: `${JSON.stringify({ ...json, tensors }, null, 1)}\n` },
  ]);
}

/** The checkpoint in `dir`, or the previous one left by a crash between the two renames. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  let target = path.join(dir, CHECKPOINT_NAME);
  try {
    await fs.access(path.join(target, "state.json"));
  } catch {
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    const old = entries.filter((e) => e.startsWith(`${CHECKPOINT_NAME}.old-`)).sort();
    const last = old[old.length - 1];
    if (!last) return undefined;
    target = path.join(dir, last);
  }
  const json = JSON.parse(await fs.readFile(path.join(target, "state.json"), "utf8")) as CheckpointJson;
  if (json.format !== CHECKPOINT_FORMAT)
    throw new Error(`${target} is not a ${CHECKPOINT_FORMAT} checkpoint`);
  const buf = await fs.readFile(path.join(target, "tensors.bin"));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const arrays = new Map<string, Float32Array>();
  for (const t of json.tensors) arrays.set(t.name, all.slice(t.offset, t.offset + t.length));
  return { json, arrays };
}

/** An optimizer weight as Optimizer.getWeights/setWeights exchange them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

// Adam internals (tf.train.adam): its slots come from getWeights/setWeights; the bias
// correction products accBeta1/2 are read and restored directly so a resume is bit-exact
// (setWeights would recompute them with pow, which rounds differently).

export interface AdamInternals {
  learningRate: number;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

export function adamInternals(opt: tf.AdamOptimizer): AdamInternals {
  return opt as unknown as AdamInternals;
}
