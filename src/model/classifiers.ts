import { Rng } from "./rng.js";

/**
 * Two small classifiers for evaluation: can a classifier tell composed tunes from real
 * ones (0.5 = it cannot), does a style classifier trained on real tunes recognise the
 * style we asked for? Plain TypeScript on feature vectors; seeded, so reports repeat.
 */
export type Features = readonly number[];

export interface Classifier {
  predict(x: Features): number;
}

export type Trainer = (
  xs: readonly Features[],
  ys: readonly number[],
  classes: number,
  seed: number,
) => Classifier;

/** Multinomial logistic regression on standardised features, batch gradient descent with L2. */
export const logisticRegression: Trainer = (xs, ys, classes) => {
  const d = xs[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => avg(xs.map((x) => x[j] as number)));
  const sd = Array.from(
    { length: d },
    (_, j) => Math.sqrt(avg(xs.map((x) => ((x[j] as number) - (mean[j] as number)) ** 2))) || 1,
  );
  const z = (x: Features) => x.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number));
  const data = xs.map(z);
  const w = Array.from({ length: classes }, () => new Float64Array(d + 1));
  const rate = 0.5;
  const l2 = 1e-3;
  for (let epoch = 0; epoch < 300; epoch++) {
    const grad = Array.from({ length: classes }, () => new Float64Array(d + 1));
    data.forEach((x, i) => {
      const p = softmax(w.map((wc) => dot(wc, x)));
      for (let c = 0; c < classes; c++) {
        const g = (p[c] as number) - (ys[i] === c ? 1 : 0);
        const gc = grad[c] as Float64Array;
        for (let j = 0; j < d; j++) gc[j] = (gc[j] as number) + g * (x[j] as number);
        gc[d] = (gc[d] as number) + g;
      }
    });
    for (let c = 0; c < classes; c++) {
      const wc = w[c] as Float64Array;
      const gc = grad[c] as Float64Array;
      for (let j = 0; j <= d; j++)
        wc[j] =
          (wc[j] as number) - rate * ((gc[j] as number) / data.length + (j < d ? l2 * (wc[j] as number) : 0));
    }
  }
  return { predict: (x) => argmax(w.map((wc) => dot(wc, z(x)))) };
};

/** A random forest of depth-limited Gini trees on bootstrap samples, √d features per split. */
export const randomForest: Trainer = (xs, ys, classes, seed) => {
  const rng = new Rng(seed);
  const d = xs[0]?.length ?? 0;
  const trees: Node[] = [];
  for (let t = 0; t < 60; t++) {
    const sample = Array.from({ length: xs.length }, () => Math.floor(rng.next() * xs.length));
    trees.push(grow(xs, ys, sample, classes, 0, rng, Math.max(1, Math.round(Math.sqrt(d)))));
  }
  return {
    predict: (x) => {
      const votes = new Array<number>(classes).fill(0);
      for (const tree of trees) votes[classify(tree, x)] = (votes[classify(tree, x)] as number) + 1;
      return argmax(votes);
    },
  };
};

/** Accuracy of `train` under k-fold cross-validation (folds shuffled with `seed`). */
export function crossValidate(
  train: Trainer,
  xs: readonly Features[],
  ys: readonly number[],
  classes: number,
  folds = 5,
  seed = 1,
): number {
  const predicted = crossValidatedPredictions(train, xs, ys, classes, folds, seed);
  return predicted.filter((p, i) => p === ys[i]).length / Math.max(1, xs.length);
}

/** Each example's class as predicted by the model trained on the other k − 1 folds. */
export function crossValidatedPredictions(
  train: Trainer,
  xs: readonly Features[],
  ys: readonly number[],
  classes: number,
  folds = 5,
  seed = 1,
): number[] {
  const order = new Rng(seed).shuffle(xs.map((_, i) => i));
  const predicted = new Array<number>(xs.length).fill(-1);
  for (let f = 0; f < folds; f++) {
    const test = order.filter((_, k) => k % folds === f);
    const fit = order.filter((_, k) => k % folds !== f);
    const model = train(
      fit.map((i) => xs[i] as Features),
      fit.map((i) => ys[i] as number),
      classes,
      seed + f,
    );
    for (const i of test) predicted[i] = model.predict(xs[i] as Features);
  }
  return predicted;
}

type Node = { leaf: number } | { feature: number; threshold: number; left: Node; right: Node };

const MAX_DEPTH = 8;
const MIN_LEAF = 2;

function grow(
  xs: readonly Features[],
  ys: readonly number[],
  rows: readonly number[],
  classes: number,
  depth: number,
  rng: Rng,
  tryFeatures: number,
): Node {
  const counts = classCounts(ys, rows, classes);
  const majority = argmax(counts);
  if (depth >= MAX_DEPTH || rows.length < 2 * MIN_LEAF || counts[majority] === rows.length)
    return { leaf: majority };
  const d = xs[0]?.length ?? 0;
  let best: { gini: number; feature: number; threshold: number } | undefined;
  for (let k = 0; k < tryFeatures; k++) {
    const feature = Math.floor(rng.next() * d);
    const values = [...new Set(rows.map((r) => (xs[r] as Features)[feature] as number))].sort(
      (a, b) => a - b,
    );
    const step = Math.max(1, Math.floor(values.length / 16));
    for (let v = step; v < values.length; v += step) {
      const threshold = ((values[v - 1] as number) + (values[v] as number)) / 2;
      const left = rows.filter((r) => ((xs[r] as Features)[feature] as number) <= threshold);
      if (left.length < MIN_LEAF || rows.length - left.length < MIN_LEAF) continue;
      const right = rows.filter((r) => ((xs[r] as Features)[feature] as number) > threshold);
      const gini =
        (left.length * impurity(classCounts(ys, left, classes), left.length) +
          right.length * impurity(classCounts(ys, right, classes), right.length)) /
        rows.length;
      if (!best || gini < best.gini) best = { gini, feature, threshold };
    }
  }
  if (!best) return { leaf: majority };
  const { feature, threshold } = best;
  return {
    feature,
    threshold,
    left: grow(
      xs,
      ys,
      rows.filter((r) => ((xs[r] as Features)[feature] as number) <= threshold),
      classes,
      depth + 1,
      rng,
      tryFeatures,
    ),
    right: grow(
      xs,
      ys,
      rows.filter((r) => ((xs[r] as Features)[feature] as number) > threshold),
      classes,
      depth + 1,
      rng,
      tryFeatures,
    ),
  };
}

function classify(node: Node, x: Features): number {
  let n = node;
  while (!("leaf" in n)) n = (x[n.feature] as number) <= n.threshold ? n.left : n.right;
  return n.leaf;
}

function classCounts(ys: readonly number[], rows: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const r of rows) counts[ys[r] as number] = (counts[ys[r] as number] as number) + 1;
  return counts;
}

function impurity(counts: readonly number[], n: number): number {
  return 1 - counts.reduce((s, c) => s + (c / n) ** 2, 0);
}

function dot(w: Float64Array, x: Features): number {
  let s = w[x.length] as number;
  for (let j = 0; j < x.length; j++) s += (w[j] as number) * (x[j] as number);
  return s;
}

function softmax(v: readonly number[]): number[] {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

export function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

function avg(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
}
