import { promises as fs } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../atomic-write.js";
import type { Vocabulary } from "../music/vocabulary.js";
import { tf } from "./backend.js";
import {
  type LstmConfig,
  type LstmWeights,
  weightShapes,
  weightsFromArrays,
  weightVariables,
} from "./lstm-weights.js";
import { checkModelVocabulary } from "./vocabulary-check.js";

/**
 * The trained weights as a standard TensorFlow.js LayersModel:
 *
 *   input [batch, time, V] one-hot floats
 *   → `layers` × tf.layers.lstm(units U, returnSequences, tanh, recurrentActivation sigmoid)
 *   → tf.layers.dense(V, linear): LOGITS (apply softmax yourself, with a temperature).
 *
 * Saved as the usual `model.json` + `weights.bin` pair (the layout tfjs-node's
 * `model.save("file://…")` writes), by a custom save handler over node:fs, so no
 * tfjs-node is needed; loaded through tf.loadLayersModel with tf.io.fromMemory.
 */

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";
export const VOCAB_JSON = "vocab.json";
export const MODEL_FORMAT = "tunesmith-lstm/1";

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelFileError";
  }
}

/** The model's vocabulary size differs from the tokenizer's. */
export class VocabularyMismatchError extends ModelFileError {
  constructor(
    readonly modelFile: string,
    readonly modelVocabSize: number,
    readonly vocabularyFile: string,
    readonly vocabularySize: number,
  ) {
    super(
      `vocabulary size mismatch: the model ${modelFile} has ${modelVocabSize} tokens but the vocabulary ` +
        `${vocabularyFile} has ${vocabularySize}; a model and its vocab.json must come from the same training run`,
    );
    this.name = "VocabularyMismatchError";
  }
}

export interface ModelMetadata {
  readonly format: string;
  readonly vocabSize: number;
  readonly layers: number;
  readonly units: number;
  readonly dropout: number;
  readonly outputs: "logits";
  readonly vocabFingerprint?: string;
  /**
   * LstmConfig.conditionIds: a plain LayersModel cannot add these rows at every step, so
   * tf.loadLayersModel on such a model.json reads the tokens without them.
   */
  readonly conditionIds?: readonly number[];
  readonly [key: string]: unknown;
}

/** A tf.sequential with the given weights (copied). Caller disposes it. */
export function buildLayersModel(weights: LstmWeights): tf.Sequential {
  const { vocabSize: V, units: U, layers: L } = weights.config;
  const model = tf.sequential({ name: "tunesmith_lstm" });
  for (let l = 0; l < L; l++) {
    model.add(
      tf.layers.lstm({
        units: U,
        returnSequences: true,
        activation: "tanh",
        recurrentActivation: "sigmoid",
        unitForgetBias: true,
        // The weights are overwritten below; the default orthogonal initialiser would cost seconds.
        recurrentInitializer: "zeros",
        name: `lstm_${l}`,
        ...(l === 0 ? { inputShape: [null, V] } : {}),
      }),
    );
  }
  model.add(tf.layers.dense({ units: V, activation: "linear", name: "logits" }));
  model.setWeights(weightVariables(weights));
  return model;
}

export interface SaveModelOptions {
  /** Also written as vocab.json next to the model, and fingerprinted in the metadata. */
  readonly vocabulary?: Vocabulary;
  /** Extra JSON-able facts for the model card (training history, corpus, …). */
  readonly metadata?: Record<string, unknown>;
}

/**
 * Writes `dir/model.json` and `dir/weights.bin` (each atomically: temp file, then rename;
 * weights first, so a model.json never names missing weights).
 */
export async function saveLayersModel(
  weights: LstmWeights,
  dir: string,
  options: SaveModelOptions = {},
): Promise<{ modelFile: string; weightsFile: string; bytes: number }> {
  const { config } = weights;
  if (options.vocabulary)
    checkModelVocabulary(
      { size: config.vocabSize },
      options.vocabulary,
      (m) => new VocabularyMismatchError("(being saved)", m.model, "(given vocabulary)", m.vocabulary),
    );
  const metadata: ModelMetadata = {
    ...options.metadata,
    format: MODEL_FORMAT,
    vocabSize: config.vocabSize,
    layers: config.layers,
    units: config.units,
    dropout: config.dropout,
    ...(config.conditionIds?.length ? { conditionIds: [...config.conditionIds] } : {}),
    outputs: "logits",
    ...(options.vocabulary ? { vocabFingerprint: options.vocabulary.fingerprint() } : {}),
  };
  const model = buildLayersModel(weights);
  model.setUserDefinedMetadata(metadata);
  await fs.mkdir(dir, { recursive: true });
  const modelFile = path.join(dir, MODEL_JSON);
  const weightsFile = path.join(dir, WEIGHTS_BIN);
  let bytes = 0;
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
        bytes = data.byteLength;
        const json = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format ?? "layers-model",
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
          userDefinedMetadata: artifacts.userDefinedMetadata,
        };
        await writeFileAtomic(weightsFile, data);
        await writeFileAtomic(modelFile, `${JSON.stringify(json)}\n`);
        if (options.vocabulary)
          await writeFileAtomic(
            path.join(dir, VOCAB_JSON),
            `${JSON.stringify(options.vocabulary.toJSON(), null, 1)}\n`,
          );
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  } finally {
    model.dispose();
  }
  return { modelFile, weightsFile, bytes };
}

export interface LoadModelOptions {
  /** Checked against the model's input and output size. */
  readonly vocabulary?: Vocabulary;
  /** Path of that vocabulary, for error messages. */
  readonly vocabularyFile?: string;
}

/** Reads `dir/model.json` (+ its weight files) with tf.loadLayersModel. Caller disposes. */
export async function loadLayersModel(dir: string, options: LoadModelOptions = {}): Promise<tf.LayersModel> {
  const modelFile = path.join(dir, MODEL_JSON);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await fs.readFile(modelFile, "utf8")) as tf.io.ModelJSON;
  } catch (error) {
    throw new ModelFileError(`cannot read the model ${modelFile}: ${(error as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new ModelFileError(
      `${modelFile} is not a TensorFlow.js layers model (no modelTopology/weightsManifest)`,
    );
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      try {
        const buf = await fs.readFile(file);
        buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      } catch (error) {
        throw new ModelFileError(
          `cannot read the weights ${file} named by ${modelFile}: ${(error as Error).message}`,
        );
      }
    }
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
      ...(json.format ? { format: json.format } : {}),
      ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
      ...(json.convertedBy ? { convertedBy: json.convertedBy } : {}),
      ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
    }),
  );
  try {
    checkVocabulary(model, modelFile, options);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function modelVocabSize(model: tf.LayersModel): { input: number; output: number } {
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  return { input: Number(inShape?.[inShape.length - 1]), output: Number(outShape?.[outShape.length - 1]) };
}

function checkVocabulary(model: tf.LayersModel, modelFile: string, options: LoadModelOptions): void {
  const { input, output } = modelVocabSize(model);
  if (input !== output)
    throw new ModelFileError(
      `${modelFile}: input size ${input} differs from output size ${output}; not a Tunesmith model`,
    );
  if (options.vocabulary)
    checkModelVocabulary(
      { size: output },
      options.vocabulary,
      (m) =>
        new VocabularyMismatchError(
          modelFile,
          m.model,
          options.vocabularyFile ?? "(given vocabulary)",
          m.vocabulary,
        ),
    );
}

/**
 * New LstmWeights (variables; caller disposes) copied from a LayersModel of the shape
 * buildLayersModel makes. The dropout rate comes from the model's metadata (else 0).
 */
export function weightsFromLayersModel(model: tf.LayersModel): LstmWeights {
  const lstms = model.layers.filter((l) => l.getClassName() === "LSTM");
  const denses = model.layers.filter((l) => l.getClassName() === "Dense");
  const last = model.layers[model.layers.length - 1];
  if (lstms.length === 0 || denses.length !== 1 || last !== denses[0])
    throw new ModelFileError("expected a model of LSTM layers followed by one Dense layer");
  for (const l of lstms) {
    const c = l.getConfig();
    if (c.recurrentActivation !== "sigmoid" || c.activation !== "tanh" || c.returnSequences !== true)
      throw new ModelFileError(
        `LSTM layer ${l.name} uses activation ${String(c.activation)}, recurrentActivation ${String(c.recurrentActivation)}; expected tanh and sigmoid with returnSequences`,
      );
  }
  const dense = denses[0] as tf.layers.Layer;
  const activation = dense.getConfig().activation;
  if (activation !== "linear" && activation !== "softmax")
    throw new ModelFileError(
      `the output layer's activation is ${String(activation)}; expected linear or softmax`,
    );
  const { output: V } = modelVocabSize(model);
  const U = Number(lstms[0]?.getConfig().units);
  const meta = (model as unknown as { getUserDefinedMetadata(): unknown }).getUserDefinedMetadata() as
    | Partial<ModelMetadata>
    | undefined;
  const config: LstmConfig = {
    vocabSize: V,
    layers: lstms.length,
    units: U,
    dropout: Number(meta?.dropout ?? 0),
    ...(Array.isArray(meta?.conditionIds) ? { conditionIds: meta.conditionIds.map(Number) } : {}),
  };
  const tensors = [...lstms, dense].flatMap((l) => l.getWeights());
  const shapes = weightShapes(config);
  if (
    tensors.length !== shapes.length ||
    tensors.some((t, i) => t.shape.join() !== (shapes[i] as number[]).join())
  )
    throw new ModelFileError(
      `weight shapes ${tensors.map((t) => t.shape.join("×")).join(", ")} do not match ${shapes.map((s) => s.join("×")).join(", ")}`,
    );
  return weightsFromArrays(
    config,
    tensors.map((t) => t.dataSync() as Float32Array),
  );
}

/** loadLayersModel + weightsFromLayersModel, disposing the model. */
export async function loadLstmWeights(dir: string, options: LoadModelOptions = {}): Promise<LstmWeights> {
  const model = await loadLayersModel(dir, options);
  try {
    return weightsFromLayersModel(model);
  } finally {
    model.dispose();
  }
}
