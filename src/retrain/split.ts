import { createHash } from "node:crypto";
import type { EncodedTune } from "../model/data.js";
import { Rng } from "../model/rng.js";

/**
 * Which approved submissions a retraining learns from and which it keeps to check the
 * result, and how they are mixed with replayed base-corpus tunes.
 */

/** Share of submissions held out to check the new model on. */
export const HELD_OUT_SHARE = 0.2;

export interface Keyed {
  readonly contentHash: string;
}

/**
 * Held out by a hash of the content hash, so a submission keeps its side across runs (a
 * held-out tune is never trained on, and checks every later run too). With two or more
 * there is at least one on each side.
 */
export function splitSubmissions<T extends Keyed>(
  submissions: readonly T[],
  share = HELD_OUT_SHARE,
): { readonly train: T[]; readonly heldOut: T[] } {
  const keyed = submissions
    .map((s) => ({
      s,
      u: createHash("sha256").update(`held-out:${s.contentHash}`).digest().readUInt32BE(0) / 2 ** 32,
    }))
    .sort((a, b) => a.u - b.u);
  let held = keyed.filter((k) => k.u < share).length;
  if (keyed.length >= 2) held = Math.min(Math.max(held, 1), keyed.length - 1);
  return { heldOut: keyed.slice(0, held).map((k) => k.s), train: keyed.slice(held).map((k) => k.s) };
}

export interface MixOptions {
  /** Tokens the run will train on: steps × batch × seqLen. */
  readonly budgetTokens: number;
  /** Share of the budget spent on the submissions (repeated as needed). */
  readonly submissionShare: number;
  /** Most times a submission is repeated, so a handful of tunes is not learnt by heart. */
  readonly maxRepeats: number;
  readonly seed: number;
}

export interface Mix {
  readonly tunes: readonly (readonly number[])[];
  readonly repeats: number;
  readonly submissionTokens: number;
  readonly replayTunes: number;
  readonly replayTokens: number;
}

const targets = (t: readonly number[]): number => Math.max(0, t.length - 1);

/**
 * The submissions `repeats` times plus base training tunes drawn in a seeded order
 * (cycling if the corpus is small) until the mix is a fifth larger than the budget: so
 * the trainer never finishes an epoch, runs no validation pass, and returns the weights
 * of the last step.
 */
export function mixTraining(
  submissions: readonly EncodedTune[],
  base: readonly EncodedTune[],
  options: MixOptions,
): Mix {
  if (base.length === 0) throw new Error("the base corpus has no training tunes to replay");
  const perCopy = submissions.reduce((n, t) => n + targets(t.ids), 0);
  const repeats =
    perCopy === 0
      ? 0
      : Math.max(
          1,
          Math.min(
            options.maxRepeats,
            Math.round((options.submissionShare * options.budgetTokens) / perCopy),
          ),
        );
  const tunes: (readonly number[])[] = [];
  for (let r = 0; r < repeats; r++) for (const t of submissions) tunes.push(t.ids);
  const goal = Math.ceil(options.budgetTokens * 1.2);
  let total = perCopy * repeats;
  const rng = new Rng(options.seed);
  let order: number[] = [];
  let replayTunes = 0;
  let replayTokens = 0;
  while (total < goal) {
    if (order.length === 0) order = rng.shuffle(Array.from({ length: base.length }, (_, i) => i));
    const tune = base[order.pop() as number] as EncodedTune;
    tunes.push(tune.ids);
    total += targets(tune.ids);
    replayTokens += targets(tune.ids);
    replayTunes++;
  }
  return { tunes, repeats, submissionTokens: perCopy * repeats, replayTunes, replayTokens };
}
