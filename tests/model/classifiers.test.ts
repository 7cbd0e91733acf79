import { describe, expect, it } from "vitest";
import { crossValidate, logisticRegression, randomForest } from "../../src/model/classifiers.js";
import { Rng } from "../../src/model/rng.js";

/** Two classes that differ in the first feature only; the second is noise. */
function data(separation: number, n = 120, seed = 3) {
  const rng = new Rng(seed);
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    xs.push([y * separation + rng.normal(), rng.normal()]);
    ys.push(y);
  }
  return { xs, ys };
}

describe("classifiers for evaluation", () => {
  it.each([
    ["logistic regression", logisticRegression],
    ["random forest", randomForest],
  ] as const)("%s tells separable classes apart and is at chance on identical ones", (_, train) => {
    const easy = data(6);
    expect(crossValidate(train, easy.xs, easy.ys, 2)).toBeGreaterThan(0.95);
    const same = data(0);
    const accuracy = crossValidate(train, same.xs, same.ys, 2);
    expect(accuracy).toBeGreaterThan(0.3);
    expect(accuracy).toBeLessThan(0.7);
  });

  it("handles more than two classes", () => {
    const xs = [0, 1, 2].flatMap((c) => Array.from({ length: 30 }, (_, i) => [c * 5 + (i % 5) / 5, i % 3]));
    const ys = [0, 1, 2].flatMap((c) => new Array<number>(30).fill(c));
    expect(crossValidate(randomForest, xs, ys, 3)).toBeGreaterThan(0.95);
    expect(crossValidate(logisticRegression, xs, ys, 3)).toBeGreaterThan(0.95);
  });
});
