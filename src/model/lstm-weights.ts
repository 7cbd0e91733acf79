import { tf } from "./backend.js";
import { Rng } from "./rng.js";

/** LSTM config, weights (tf.layers.lstm / tf.layers.dense layout) and state: creation, init, copies. */

export interface LstmConfig {
  readonly vocabSize: number;
  readonly layers: number;
  readonly units: number;
  /** Inverted dropout on the output of every LSTM layer, training only; 0 disables it. */
  readonly dropout: number;
  /**
   * Tokens that condition every later step of their tune (the tune types): after reading
   * one, layer 0's input is the token's one-hot plus this token's, so the type's kernel
   * row is added at every step instead of fading from the state after the header (it
   * did: measured, in the second half of a tune the type changed the model's predictions
   * by −0.001 to 0.003 nats/token). Absent: plain one-hot input, as every model before.
   */
  readonly conditionIds?: readonly number[];
}

export interface LstmLayerWeights {
  /** [inputDim, 4U]; inputDim = vocabSize for layer 0, units above. */
  readonly kernel: tf.Variable;
  /** [U, 4U] */
  readonly recurrentKernel: tf.Variable;
  /** [4U] */
  readonly bias: tf.Variable;
}

export interface LstmWeights {
  readonly config: LstmConfig;
  readonly layers: readonly LstmLayerWeights[];
  /** [U, V] */
  readonly outKernel: tf.Variable;
  /** [V] */
  readonly outBias: tf.Variable;
}

/** Per layer, `h` and `c` as [B·U] row-major arrays. */
export interface LstmState {
  readonly h: readonly Float32Array[];
  readonly c: readonly Float32Array[];
  /** Per row, the condition token read so far in its tune (conditionIds), −1 for none. */
  readonly condition?: Int32Array;
}

let instances = 0;

/** Variable names are unique per weights instance (the engine registers them globally). */
function namer(): (suffix: string) => string {
  const prefix = `tunesmith_lstm_${++instances}`;
  return (suffix) => `${prefix}/${suffix}`;
}

export function validateConfig(config: LstmConfig): void {
  const { vocabSize, layers, units, dropout } = config;
  const ok =
    Number.isInteger(vocabSize) &&
    vocabSize >= 2 &&
    Number.isInteger(layers) &&
    layers >= 1 &&
    Number.isInteger(units) &&
    units >= 1 &&
    dropout >= 0 &&
    dropout < 1 &&
    (config.conditionIds ?? []).every((id) => Number.isInteger(id) && id >= 0 && id < vocabSize);
  if (!ok) throw new Error(`invalid LSTM config ${JSON.stringify(config)}`);
}

/** Ordered list of the weight variables: per layer kernel, recurrentKernel, bias; then out. */
export function weightVariables(weights: LstmWeights): tf.Variable[] {
  return [
    ...weights.layers.flatMap((l) => [l.kernel, l.recurrentKernel, l.bias]),
    weights.outKernel,
    weights.outBias,
  ];
}

/** Stable names (independent of the variable names) in the order of weightVariables. */
export function weightKeys(config: LstmConfig): string[] {
  const keys: string[] = [];
  for (let l = 0; l < config.layers; l++)
    keys.push(`lstm_${l}/kernel`, `lstm_${l}/recurrent_kernel`, `lstm_${l}/bias`);
  keys.push("dense/kernel", "dense/bias");
  return keys;
}

export function weightShapes(config: LstmConfig): number[][] {
  const { vocabSize: V, units: U } = config;
  const shapes: number[][] = [];
  for (let l = 0; l < config.layers; l++) shapes.push([l === 0 ? V : U, 4 * U], [U, 4 * U], [4 * U]);
  shapes.push([U, V], [V]);
  return shapes;
}

/** Builds new variables from arrays in weightVariables order (copied). */
export function weightsFromArrays(config: LstmConfig, arrays: readonly Float32Array[]): LstmWeights {
  validateConfig(config);
  const shapes = weightShapes(config);
  if (arrays.length !== shapes.length)
    throw new Error(`expected ${shapes.length} weight arrays for ${describe(config)}, got ${arrays.length}`);
  const name = namer();
  const keys = weightKeys(config);
  const vars = shapes.map((shape, i) => {
    const data = arrays[i] as Float32Array;
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(
        `weight ${keys[i]} should have ${size} values (shape ${shape.join("×")}), got ${data.length}`,
      );
    return tf.tidy(() =>
      tf.variable(tf.tensor(Float32Array.from(data), shape), true, name(keys[i] as string)),
    );
  });
  const layers: LstmLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      kernel: vars[3 * l] as tf.Variable,
      recurrentKernel: vars[3 * l + 1] as tf.Variable,
      bias: vars[3 * l + 2] as tf.Variable,
    });
  }
  return {
    config: { ...config },
    layers,
    outKernel: vars[3 * config.layers] as tf.Variable,
    outBias: vars[3 * config.layers + 1] as tf.Variable,
  };
}

/** Copies of the current values, in weightVariables order. */
export function weightsToArrays(weights: LstmWeights): Float32Array[] {
  return weightVariables(weights).map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

export function cloneWeights(weights: LstmWeights): LstmWeights {
  return weightsFromArrays(weights.config, weightsToArrays(weights));
}

export function disposeWeights(weights: LstmWeights): void {
  for (const v of weightVariables(weights)) v.dispose();
}

export function describe(config: LstmConfig): string {
  return `${config.layers}×LSTM(${config.units}) over ${config.vocabSize} tokens`;
}

export function parameterCount(config: LstmConfig): number {
  return weightShapes(config).reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
}

function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** A random U×U orthogonal matrix (modified Gram–Schmidt on Gaussian rows). */
function orthogonal(rng: Rng, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (q[ri + k] as number) * (q[rj + k] as number);
      for (let k = 0; k < n; k++) q[ri + k] = (q[ri + k] as number) - dot * (q[rj + k] as number);
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += (q[ri + k] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < n; k++) q[ri + k] = (q[ri + k] as number) / norm;
  }
  return q;
}

/**
 * Deterministic initial weights: Glorot-uniform kernels (as Keras), an orthogonal U×U
 * block per gate for the recurrent kernel, zero biases except 1 for the forget gate
 * (unit forget bias), Glorot-uniform dense kernel and zero dense bias.
 */
export function initWeights(config: LstmConfig, seed: number): LstmWeights {
  validateConfig(config);
  const { vocabSize: V, units: U } = config;
  const G = 4 * U;
  const rng = Rng.derive(seed, 0x1417);
  const arrays: Float32Array[] = [];
  for (let l = 0; l < config.layers; l++) {
    const inputDim = l === 0 ? V : U;
    arrays.push(glorotUniform(rng, inputDim, G));
    const rec = new Float32Array(U * G);
    for (let gate = 0; gate < 4; gate++) {
      const q = orthogonal(rng, U);
      for (let r = 0; r < U; r++)
        for (let c = 0; c < U; c++) rec[r * G + gate * U + c] = q[r * U + c] as number;
    }
    arrays.push(rec);
    const bias = new Float32Array(G);
    bias.fill(1, U, 2 * U);
    arrays.push(bias);
  }
  arrays.push(glorotUniform(rng, U, V), new Float32Array(V));
  return weightsFromArrays(config, arrays);
}

export function zeroState(config: LstmConfig, batch: number): LstmState {
  const n = batch * config.units;
  return {
    h: Array.from({ length: config.layers }, () => new Float32Array(n)),
    c: Array.from({ length: config.layers }, () => new Float32Array(n)),
  };
}

/** A model's condition tokens as a set: built once per model, not per step. */
export function conditionTokens(config: LstmConfig): ReadonlySet<number> {
  return new Set(config.conditionIds ?? []);
}

/**
 * The condition at each position of time-major `ids` ([t·B + b]): the condition token its
 * tune has read before it (−1 for none), starting from `initial` and forgotten where a
 * tune starts (`resets`). Also the condition each row carries on. Pure; no condition
 * tokens gives −1 everywhere.
 */
export function conditionsOf(
  tokens: ReadonlySet<number>,
  ids: Int32Array,
  B: number,
  resets: Uint8Array | undefined,
  initial: Int32Array | undefined,
): { readonly conditions: Int32Array; readonly last: Int32Array } {
  const current = initial ? Int32Array.from(initial) : new Int32Array(B).fill(-1);
  const conditions = new Int32Array(ids.length).fill(-1);
  if (tokens.size === 0) return { conditions, last: current };
  for (let r = 0; r < ids.length; r++) {
    const b = r % B;
    if (resets?.[r]) current[b] = -1;
    conditions[r] = current[b] as number;
    if (tokens.has(ids[r] as number)) current[b] = ids[r] as number;
  }
  return { conditions, last: current };
}
