import type { Vocabulary } from "../music/vocabulary.js";
import { type LstmWeights, weightsFromArrays, weightsToArrays } from "./lstm-weights.js";
import { Rng } from "./rng.js";
import { checkModelVocabulary } from "./vocabulary-check.js";

/**
 * Carries trained weights over to a larger vocabulary (new conditioning tokens, say), so
 * a model is fine-tuned instead of trained from scratch. Tokens both vocabularies know keep
 * their input row (layer 0 kernel) and output column (dense kernel and bias); new tokens get
 * small random rows of the same spread as the trained ones and the mean output bias.
 */
export function transferWeights(
  weights: LstmWeights,
  from: Vocabulary,
  to: Vocabulary,
  seed: number,
): LstmWeights {
  const { config } = weights;
  checkModelVocabulary(
    { size: config.vocabSize },
    from,
    (m) => new Error(`the weights are for ${m.model} tokens, the vocabulary has ${m.vocabulary}`),
  );
  const lost = from.tokens.filter((t) => to.id(t) === undefined);
  if (lost.length > 0) throw new Error(`the new vocabulary drops tokens the model knows: ${lost.join(" ")}`);
  const rng = Rng.derive(seed, 0x70c4b);
  const arrays = weightsToArrays(weights);
  const L = config.layers;
  const G = 4 * config.units;
  const U = config.units;
  const Vo = from.size;
  const Vn = to.size;
  const oldOf = to.tokens.map((t) => from.id(t));

  const kernel = arrays[0] as Float32Array;
  const newKernel = new Float32Array(Vn * G);
  const inSpread = spread(kernel);
  oldOf.forEach((o, n) => {
    if (o !== undefined) newKernel.set(kernel.subarray(o * G, (o + 1) * G), n * G);
    else for (let j = 0; j < G; j++) newKernel[n * G + j] = inSpread * rng.normal();
  });

  const outKernel = arrays[3 * L] as Float32Array;
  const outBias = arrays[3 * L + 1] as Float32Array;
  const newOutKernel = new Float32Array(U * Vn);
  const newOutBias = new Float32Array(Vn);
  const outSpread = spread(outKernel);
  const meanBias = outBias.reduce((a, b) => a + b, 0) / Vo;
  oldOf.forEach((o, n) => {
    for (let u = 0; u < U; u++)
      newOutKernel[u * Vn + n] =
        o !== undefined ? (outKernel[u * Vo + o] as number) : outSpread * rng.normal();
    newOutBias[n] = o !== undefined ? (outBias[o] as number) : meanBias;
  });

  const next = [...arrays];
  next[0] = newKernel;
  next[3 * L] = newOutKernel;
  next[3 * L + 1] = newOutBias;
  // The tokens read at every step keep their meaning: their ids follow them.
  const conditionIds = config.conditionIds?.map((id) => to.id(from.tokens[id] as string) as number);
  return weightsFromArrays({ ...config, vocabSize: Vn, ...(conditionIds ? { conditionIds } : {}) }, next);
}

/** Standard deviation of the values. */
function spread(values: Float32Array): number {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return Math.sqrt(Math.max(0, sq / values.length - mean * mean));
}
