import { PAD_ID, type TokenBatch } from "./lstm.js";
import { Rng } from "./rng.js";

/**
 * Batching ("packed streams"): each epoch the training tunes are shuffled and dealt to
 * `batchSize` rows, each tune to the currently shortest row, so every row is one long
 * stream of whole tunes. A batch is the next `seqLen` positions of every row; the LSTM
 * state is carried from one batch to the next in the same row (truncated BPTT), and
 * zeroed at the first position of every tune (and the gradient stops there), so each
 * tune is processed exactly as if it had started from a zero state on its own. Inputs
 * are a tune's tokens but the last, targets its tokens but the first; only the epoch's
 * final batches carry `<pad>` (masked) where rows run out. Compared with one tune per row
 * padded to a multiple of seqLen (median tune 149 tokens → ~40% padding at seqLen 128),
 * this wastes almost nothing, with identical per-tune semantics.
 */

export interface PackedRows {
  readonly inputs: Int32Array[];
  readonly targets: Int32Array[];
  readonly resets: Uint8Array[];
  /** Number of seqLen windows needed to cover the longest row. */
  readonly chunks: number;
  readonly tokens: number;
}

/** Deals tunes (in the given order) to `rows` streams, each to the currently shortest. */
export function packRows(
  tunes: readonly (readonly number[])[],
  order: readonly number[],
  rows: number,
  seqLen: number,
): PackedRows {
  const lengths = new Array<number>(rows).fill(0);
  const assigned: number[][] = Array.from({ length: rows }, () => []);
  for (const index of order) {
    const tune = tunes[index] as readonly number[];
    if (tune.length < 2) continue;
    let best = 0;
    for (let r = 1; r < rows; r++) if ((lengths[r] as number) < (lengths[best] as number)) best = r;
    (assigned[best] as number[]).push(index);
    lengths[best] = (lengths[best] as number) + tune.length - 1;
  }
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  const resets: Uint8Array[] = [];
  let tokens = 0;
  for (let r = 0; r < rows; r++) {
    const n = lengths[r] as number;
    const inp = new Int32Array(n);
    const tgt = new Int32Array(n);
    const rst = new Uint8Array(n);
    let p = 0;
    for (const index of assigned[r] as number[]) {
      const tune = tunes[index] as readonly number[];
      rst[p] = 1;
      for (let i = 0; i + 1 < tune.length; i++, p++) {
        inp[p] = tune[i] as number;
        tgt[p] = tune[i + 1] as number;
      }
    }
    tokens += n;
    inputs.push(inp);
    targets.push(tgt);
    resets.push(rst);
  }
  const longest = Math.max(0, ...lengths);
  return { inputs, targets, resets, chunks: Math.ceil(longest / seqLen), tokens };
}

/** Window `chunk` of every row as a [rows, seqLen] batch; rows that ran out are `<pad>`. */
export function batchAt(packed: PackedRows, chunk: number, seqLen: number): TokenBatch {
  const B = packed.inputs.length;
  const inputs = new Int32Array(B * seqLen).fill(PAD_ID);
  const targets = new Int32Array(B * seqLen).fill(PAD_ID);
  const resets = new Uint8Array(B * seqLen);
  const start = chunk * seqLen;
  for (let b = 0; b < B; b++) {
    const inp = packed.inputs[b] as Int32Array;
    const end = Math.min(inp.length, start + seqLen);
    if (end <= start) continue;
    inputs.set(inp.subarray(start, end), b * seqLen);
    targets.set((packed.targets[b] as Int32Array).subarray(start, end), b * seqLen);
    resets.set((packed.resets[b] as Uint8Array).subarray(start, end), b * seqLen);
  }
  return { batch: B, steps: seqLen, inputs, targets, resets };
}

export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return Rng.derive(seed, 0x5eed, epoch).shuffle(Array.from({ length: count }, (_, i) => i));
}
