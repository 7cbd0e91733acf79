/**
 * Count-based baselines the LSTM has to beat, over the same tokens: a unigram with
 * add-one smoothing and an interpolated Kneser–Ney n-gram (Chen & Goodman 1998).
 */
export interface SequenceModel {
  readonly name: string;
  /** Natural-log probability of `token` after `history` (the whole tune so far). */
  logProb(history: readonly number[], token: number): number;
}

export function trainUnigram(sequences: readonly (readonly number[])[], vocabSize: number): SequenceModel {
  const counts = new Float64Array(vocabSize).fill(1);
  let total = vocabSize;
  for (const seq of sequences) {
    for (const t of seq.slice(1)) {
      counts[t] = (counts[t] ?? 0) + 1;
      total++;
    }
  }
  return { name: "unigram", logProb: (_, token) => Math.log((counts[token] ?? 1) / total) };
}

interface ContextCounts {
  /** count (highest order) or continuation count (lower orders) per next token */
  readonly next: Map<number, number>;
  total: number;
}

/** Interpolated Kneser–Ney of the given order, with one discount per order. */
export function trainKneserNey(
  sequences: readonly (readonly number[])[],
  vocabSize: number,
  order = 5,
): SequenceModel {
  // tables[n] maps a context of n tokens (joined) to what follows it.
  const tables: Map<string, ContextCounts>[] = Array.from({ length: order }, () => new Map());
  const bump = (n: number, context: string, token: number) => {
    const table = tables[n] as Map<string, ContextCounts>;
    let entry = table.get(context);
    if (!entry) {
      entry = { next: new Map(), total: 0 };
      table.set(context, entry);
    }
    const before = entry.next.get(token) ?? 0;
    entry.next.set(token, before + 1);
    entry.total++;
    return before === 0;
  };
  const top = order - 1;
  for (const raw of sequences) {
    const seq = padded(raw, top);
    for (let i = top; i < seq.length; i++) {
      const token = seq[i] as number;
      // Raw counts at the longest context; a lower order counts a token once per new
      // (longer context, token) pair: the continuation count that makes KN work.
      let isNew = bump(top, key(seq, i - top, i), token);
      for (let n = top - 1; n >= 0 && isNew; n--) isNew = bump(n, key(seq, i - n, i), token);
    }
  }
  const discounts = tables.map(discountOf);
  const uniform = 1 / vocabSize;

  const prob = (history: readonly number[], token: number, n: number): number => {
    if (n < 0) return uniform;
    const lower = prob(history, token, n - 1);
    const entry = tables[n]?.get(key(history, history.length - n, history.length));
    if (!entry) return lower;
    const d = discounts[n] ?? 0.75;
    const c = entry.next.get(token) ?? 0;
    return Math.max(c - d, 0) / entry.total + ((d * entry.next.size) / entry.total) * lower;
  };
  return {
    name: `${order}-gram Kneser-Ney`,
    logProb: (history, token) => Math.log(prob(padded(history, top), token, top)),
  };
}

function key(seq: readonly number[], from: number, to: number): string {
  return seq.slice(from, to).join(",");
}

/** Repeats the start token so every position has a full-length context. */
function padded(seq: readonly number[], contextLength: number): readonly number[] {
  const start = seq[0];
  return start === undefined ? seq : [...Array(Math.max(0, contextLength - 1)).fill(start), ...seq];
}

/** D = n1 / (n1 + 2·n2) from how many events were seen once and twice. */
function discountOf(table: Map<string, ContextCounts>): number {
  let n1 = 0;
  let n2 = 0;
  for (const { next } of table.values()) {
    for (const c of next.values()) {
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
  }
  return n1 + n2 === 0 ? 0.75 : Math.min(0.95, Math.max(0.05, n1 / (n1 + 2 * n2)));
}
