/**
 * Retraining on a miniature world (fixtures.ts): the split of submissions, the training
 * mix, the gate, and whole runs: a diverging one is not promoted, a good one is and can
 * be rolled back, a dry run changes nothing, too few approved tunes fail early.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/model/backend.js";
import { disposeWeights } from "../../src/model/lstm-weights.js";
import { loadModelDir } from "../../src/model/model-dir.js";
import { applyGate } from "../../src/retrain/gate.js";
import { type RetrainOptions, retrain } from "../../src/retrain/retrain.js";
import { mixTraining, splitSubmissions } from "../../src/retrain/split.js";
import { openStore } from "../../src/store/store.js";
import { ModelVersions } from "../../src/versions/model-versions.js";
import { approveSubmissions, type Fixture, makeFixture } from "./fixtures.js";

const TINY = { steps: 30, batchSize: 4, seqLen: 32, backend: "cpu" } as const;

const fixtures: Fixture[] = [];
async function world(submissions = 6): Promise<Fixture & { options: RetrainOptions; ids: number[] }> {
  const f = await makeFixture();
  fixtures.push(f);
  const store = openStore(f.dataDir);
  const ids = approveSubmissions(store, submissions);
  store.close();
  return {
    ...f,
    ids,
    options: { dataDir: f.dataDir, baseModelDir: f.modelDir, corpusDir: f.corpusDir, ...TINY },
  };
}

beforeAll(async () => {
  await initBackend("cpu");
});
afterAll(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

describe("the submissions' split", () => {
  const subs = Array.from({ length: 20 }, (_, i) => ({ contentHash: `hash-${i}` }));

  it("holds out about a fifth, the same ones whatever the order", () => {
    const a = splitSubmissions(subs);
    const b = splitSubmissions([...subs].reverse());
    expect(a.heldOut.length).toBeGreaterThanOrEqual(1);
    expect(a.heldOut.length).toBeLessThanOrEqual(8);
    expect(new Set(b.heldOut.map((s) => s.contentHash))).toEqual(
      new Set(a.heldOut.map((s) => s.contentHash)),
    );
    expect(a.train.length + a.heldOut.length).toBe(20);
  });

  it("keeps a tune on its side when others join", () => {
    const before = splitSubmissions(subs.slice(0, 12));
    const after = splitSubmissions(subs);
    // Only a tune held out to reach the minimum of one may move.
    for (const s of before.heldOut.filter((x) => !after.heldOut.includes(x)))
      expect(before.heldOut).toEqual([s]);
  });

  it("puts at least one on each side from two tunes up", () => {
    for (let n = 2; n <= 6; n++) {
      const { train, heldOut } = splitSubmissions(subs.slice(0, n));
      expect(train.length).toBeGreaterThanOrEqual(1);
      expect(heldOut.length).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("the training mix", () => {
  const tune = (n: number) => ({ title: "t", ids: Array.from({ length: n }, () => 3), notes: n });

  it("repeats the submissions to their share, capped, and fills the rest with replay past the budget", () => {
    const mix = mixTraining([tune(101), tune(101)], [tune(51), tune(51), tune(51)], {
      budgetTokens: 10_000,
      submissionShare: 0.2,
      maxRepeats: 50,
      seed: 1,
    });
    expect(mix.repeats).toBe(10);
    expect(mix.submissionTokens).toBe(2000);
    expect(mix.submissionTokens + mix.replayTokens).toBeGreaterThanOrEqual(12_000);
    const capped = mixTraining([tune(11)], [tune(51)], {
      budgetTokens: 10_000,
      submissionShare: 0.5,
      maxRepeats: 7,
      seed: 1,
    });
    expect(capped.repeats).toBe(7);
  });
});

describe("the gate", () => {
  it("promotes only a model no worse on the base corpus (within the tolerance) and better on the submissions", () => {
    expect(applyGate({ base: 2.7, submissions: 3 }, { base: 2.71, submissions: 2.9 }, 0.02).passed).toBe(
      true,
    );
    const forgot = applyGate({ base: 2.7, submissions: 3 }, { base: 2.8, submissions: 2.5 }, 0.02);
    expect(forgot.passed).toBe(false);
    expect(forgot.reasons[0]).toMatch(/forgot/);
    const same = applyGate({ base: 2.7, submissions: 3 }, { base: 2.6, submissions: 3 }, 0.02);
    expect(same.passed).toBe(false);
    expect(same.reasons[1]).toMatch(/not better at the submitted tunes/);
    const diverged = applyGate({ base: 2.7, submissions: 3 }, { base: Number.NaN, submissions: 1 }, 0.02);
    expect(diverged).toEqual({ passed: false, reasons: [expect.stringMatching(/diverged/)] });
  });
});

describe("a retraining run", () => {
  it("with an absurd learning rate is not promoted: the pointer stays, the reason is given", async () => {
    const w = await world();
    const versions = new ModelVersions({ dataDir: w.dataDir, baseModelDir: w.modelDir });
    const stampBefore = versions.pointerStamp();
    const summary = await retrain({ ...w.options, learningRate: 50 });
    expect(summary).toMatchObject({ status: "rejected", promoted: false, parent: "0" });
    expect(summary.reasons.join(" ")).toMatch(/forgot|diverged|not better/);
    expect(versions.pointerStamp()).toBe(stampBefore);
    expect(versions.activeVersion().id).toBe("0");

    const store = openStore(w.dataDir);
    try {
      expect(store.listSubmissions("approved").map((s) => s.id)).toEqual(w.ids);
      const run = store.getRun(summary.runId);
      expect(run).toMatchObject({ status: "rejected", result: { versionId: summary.versionId } });
      expect(run?.log).toMatch(/did not pass the gate/);
      expect(store.getVersion(summary.versionId as string)?.status).toBe("rejected");
    } finally {
      store.close();
    }
  });

  it("that learns is promoted, marks only its training tunes used, and can be rolled back to version 0", async () => {
    const w = await world();
    const progress: number[] = [];
    const summary = await retrain({
      ...w.options,
      learningRate: 0.02,
      onProgress: (p) => progress.push(p.step),
    });
    expect(summary).toMatchObject({ status: "succeeded", promoted: true, parent: "0", steps: TINY.steps });
    expect(summary.new?.submissions).toBeLessThan(summary.old?.submissions as number);
    expect(progress.at(-1)).toBe(TINY.steps);
    const id = summary.versionId as string;
    expect(id).toMatch(/^v1-\d{14}$/);

    const store = openStore(w.dataDir);
    try {
      const versions = new ModelVersions({ dataDir: w.dataDir, baseModelDir: w.modelDir, store });
      const active = versions.activeVersion();
      expect(active).toEqual({ id, dir: path.join(w.dataDir, "models", id) });
      for (const f of [
        "model.json",
        "weights.bin",
        "vocab.json",
        "card.json",
        "metrics.json",
        "loss-curve.png",
      ])
        expect(existsSync(path.join(active.dir, f))).toBe(true);
      const card = JSON.parse(readFileSync(path.join(active.dir, "card.json"), "utf8"));
      expect(card).toMatchObject({
        name: id,
        training: { parent: "0" },
        retraining: { gate: { passed: true } },
      });
      const loaded = await loadModelDir(active.dir);
      disposeWeights(loaded.weights);

      const used = store.listSubmissions("used").map((s) => s.id);
      const approved = store.listSubmissions("approved").map((s) => s.id);
      expect(used.sort()).toEqual([...summary.submissions.train].sort());
      expect(approved.sort()).toEqual([...summary.submissions.heldOut].sort());
      expect(versions.listVersions().map((v) => [v.id, v.status])).toEqual([
        ["0", "retired"],
        [id, "active"],
      ]);
      expect(store.getRun(summary.runId)).toMatchObject({ status: "succeeded", pid: process.pid });

      const back = await versions.rollback();
      expect(back).toMatchObject({ from: id, to: { id: "0", dir: w.modelDir } });
      expect(versions.listVersions().map((v) => [v.id, v.status])).toEqual([
        ["0", "active"],
        [id, "retired"],
      ]);
      await expect(versions.rollback()).rejects.toThrow(/nothing to roll back to/);
    } finally {
      store.close();
    }
  });

  it("as a dry run writes the version but activates nothing and uses no submission; old versions beyond the kept ones go", async () => {
    const w = await world();
    const old = ["v1-20260101000000", "v2-20260102000000"];
    for (const id of old) cpSync(w.modelDir, path.join(w.dataDir, "models", id), { recursive: true });
    const summary = await retrain({ ...w.options, learningRate: 0.02, dryRun: true, keepVersions: 1 });
    expect(summary).toMatchObject({ status: "succeeded", promoted: false, dryRun: true });
    expect(summary.versionId).toMatch(/^v3-/);
    expect(readdirSync(path.join(w.dataDir, "models")).filter((f) => f.startsWith("v"))).toEqual([
      summary.versionId,
    ]);
    const store = openStore(w.dataDir);
    try {
      expect(store.getRun(summary.runId)?.log).toContain(`deleted old versions ${old.join(", ")}`);
      expect(new ModelVersions({ dataDir: w.dataDir, baseModelDir: w.modelDir }).activeVersion().id).toBe(
        "0",
      );
      expect(store.listSubmissions("approved")).toHaveLength(w.ids.length);
      expect(store.getVersion(summary.versionId as string)?.status).toBe("candidate");
    } finally {
      store.close();
    }
  });

  it("with too few approved tunes fails at once with what to do", async () => {
    const w = await world(1);
    const summary = await retrain(w.options);
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/only 1 approved submission is waiting.*at least 2/);
    const store = openStore(w.dataDir);
    try {
      expect(store.getRun(summary.runId)).toMatchObject({ status: "failed" });
      expect(store.getRun(summary.runId)?.log).toMatch(/failed: only 1 approved/);
    } finally {
      store.close();
    }
  });
});
