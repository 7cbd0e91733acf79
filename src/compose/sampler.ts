import type { Rng } from "../model/rng.js";
import { concatRows, type StepperState, type StepResult, selectRows } from "../model/sampler-step.js";
import type { DecodeState, TuneGrammar } from "./grammar.js";

/**
 * Batched, grammar-constrained sampling: N candidates advance together through one
 * model step per token (a batch of 8 costs little more than a batch of 1), each drawing
 * only among the tokens its grammar state allows.
 */
export interface StepModel {
  step(ids: Int32Array, state?: StepperState): StepResult;
}

/** Narrows what the grammar allows each candidate (a form plan, say); told of every token taken. */
export interface Steering {
  /** The tokens candidate `b` may take now: a subset of `mask`, never empty. */
  narrow(b: number, state: DecodeState, mask: Uint8Array): Uint8Array;
  taken(b: number, id: number, before: DecodeState, after: DecodeState): void;
}

export interface SampleOptions {
  readonly grammar: TuneGrammar;
  readonly start: DecodeState;
  /** `<s>`, meter, mode and any seed tokens: fed to the model, not sampled. */
  readonly prompt: readonly number[];
  readonly candidates: number;
  readonly temperature: number;
  /** Nucleus sampling: keep the most likely tokens up to this probability mass (1 = off). */
  readonly topP: number;
  readonly rng: Rng;
  /** Most tokens one candidate may sample. */
  readonly maxTokens: number;
  /** After this time (ms, `now()` clock) candidates finish by the shortest way. */
  readonly deadline?: number;
  readonly now?: () => number;
  /** Off once the deadline passes: then candidates only finish the shortest way. */
  readonly steering?: Steering;
  /**
   * Classifier-free guidance towards what the prompt adds to `unconditioned` (the same
   * prompt without the tune type, say): tokens are drawn from
   * logits + weight × (logits − logits given `unconditioned`). Likelihoods stay the model's own.
   */
  readonly guidance?: { readonly unconditioned: readonly number[]; readonly weight: number };
}

export interface Candidate {
  /** Sampled ids, up to and including the end token. */
  readonly ids: readonly number[];
  /** Negative log-likelihood of the sampled ids under the model itself (T = 1, unmasked), nats. */
  readonly nll: number;
  /** True when the deadline cut sampling short and the tune was finished greedily. */
  readonly hurried: boolean;
}

export class SamplingError extends Error {}

export function sampleCandidates(model: StepModel, options: SampleOptions): Candidate[] {
  const { grammar, prompt, candidates: B, rng } = options;
  if (prompt.length === 0) throw new SamplingError("the prompt needs at least the start token");
  const now = options.now ?? (() => performance.now());
  const needed = grammar.remaining(options.start);
  if (needed > options.maxTokens) {
    throw new SamplingError(`this tune needs at least ${needed} tokens; the limit is ${options.maxTokens}`);
  }
  const prime = (ids: readonly number[]) => {
    let primed: StepResult | undefined;
    for (const id of ids) primed = model.step(Int32Array.of(id), primed?.state);
    return primed as StepResult;
  };
  const first = prime(prompt);
  const guidance = options.guidance && options.guidance.weight > 0 ? options.guidance : undefined;
  const plain = guidance ? prime(guidance.unconditioned) : undefined;
  let plainLogits = plain?.logits;
  const V = first.logits.length;
  let logits: Float32Array = first.logits;
  // Batch row → candidate. Every candidate starts from the primed row; rows of finished
  // candidates are dropped so the batch shrinks as tunes end. With guidance, the model
  // state holds each candidate's row twice, conditioned then unconditioned, so one batched
  // step serves both: `conditioned` is how many rows the first half has.
  let rows = Array.from({ length: B }, (_, b) => b);
  let modelState = plain ? concatRows(first.state, plain.state) : first.state;
  let conditioned = first.state.batch;
  let rowOfLogits = rows.map(() => 0);

  const states = Array.from({ length: B }, () => options.start);
  const ids: number[][] = Array.from({ length: B }, () => []);
  const nll = new Float64Array(B);
  const hurried = new Array<boolean>(B).fill(false);
  const probs = new Float64Array(V);
  const guided = new Float32Array(V);
  for (;;) {
    const late = options.deadline !== undefined && now() > options.deadline;
    const keep: number[] = [];
    const input: number[] = [];
    rows.forEach((b, r) => {
      const state = states[b] as DecodeState;
      const row = logits.subarray((rowOfLogits[r] as number) * V, ((rowOfLogits[r] as number) + 1) * V);
      const allowed = grammar.allowed(state, options.maxTokens - (ids[b] as number[]).length, late);
      const mask = options.steering && !late ? options.steering.narrow(b, state, allowed) : allowed;
      const plainRow = plainLogits?.subarray(
        (rowOfLogits[r] as number) * V,
        ((rowOfLogits[r] as number) + 1) * V,
      );
      if (guidance && plainRow) {
        for (let v = 0; v < V; v++)
          guided[v] = (row[v] as number) + guidance.weight * ((row[v] as number) - (plainRow[v] as number));
      }
      const id = drawToken(guidance ? guided : row, mask, options.temperature, options.topP, rng, probs);
      if (late) hurried[b] = true;
      nll[b] = (nll[b] as number) - logSoftmaxAt(row, id);
      (ids[b] as number[]).push(id);
      const next = grammar.next(state, id);
      if (!next) throw new SamplingError(`internal: the grammar allowed token ${id} and then refused it`);
      options.steering?.taken(b, id, state, next);
      states[b] = next;
      if (!next.finished) {
        keep.push(rowOfLogits[r] as number);
        input.push(id);
      }
    });
    if (keep.length === 0) break;
    const half = conditioned;
    modelState = keepRows(modelState, plain ? [...keep, ...keep.map((k) => k + half)] : keep);
    rows = rows.filter((b) => !(states[b] as DecodeState).finished);
    const result = model.step(Int32Array.from(plain ? [...input, ...input] : input), modelState);
    modelState = result.state;
    conditioned = keep.length;
    logits = plain ? result.logits.subarray(0, conditioned * V) : result.logits;
    plainLogits = plain ? result.logits.subarray(conditioned * V) : undefined;
    rowOfLogits = rows.map((_, r) => r);
  }
  return ids.map((seq, b) => ({ ids: seq, nll: nll[b] as number, hurried: hurried[b] as boolean }));
}

/** The state's rows `keep`, in that order (the state itself when that is all of them). */
function keepRows(state: StepperState, keep: readonly number[]): StepperState {
  const same = keep.length === state.batch && keep.every((k, i) => k === i);
  return same ? state : selectRows(state, keep);
}

/** A token drawn from softmax(logits / T) restricted to the mask and to the top-p nucleus. */
export function drawToken(
  logits: Float32Array,
  mask: Uint8Array,
  temperature: number,
  topP: number,
  rng: Rng,
  scratch = new Float64Array(logits.length),
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++)
    if (mask[v] && (logits[v] as number) > max) max = logits[v] as number;
  if (max === Number.NEGATIVE_INFINITY) throw new SamplingError("internal: no token is allowed here");
  let total = 0;
  for (let v = 0; v < logits.length; v++) {
    const p = mask[v] ? Math.exp(((logits[v] as number) - max) / temperature) : 0;
    scratch[v] = p;
    total += p;
  }
  if (topP < 1) total = keepNucleus(scratch, total, topP);
  let r = rng.next() * total;
  let last = -1;
  for (let v = 0; v < logits.length; v++) {
    const p = scratch[v] as number;
    if (p <= 0) continue;
    last = v;
    r -= p;
    if (r < 0) return v;
  }
  return last;
}

/** Zeroes every probability outside the smallest set holding `topP` of the mass; returns the new total. */
function keepNucleus(probs: Float64Array, total: number, topP: number): number {
  const order = [...probs.keys()].filter((v) => (probs[v] as number) > 0);
  order.sort((a, b) => (probs[b] as number) - (probs[a] as number));
  let kept = 0;
  let i = 0;
  for (; i < order.length && kept < topP * total; i++) kept += probs[order[i] as number] as number;
  for (; i < order.length; i++) probs[order[i] as number] = 0;
  return kept;
}

function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  return (logits[id] as number) - max - Math.log(sum);
}
