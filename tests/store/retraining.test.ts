/** The store's retraining tables (migration 3): review, training runs, model version rows. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { DB_FILE, openStore, type Store } from "../../src/store/store.js";
import type { NewSubmission } from "../../src/store/submissions.js";

const dirs: string[] = [];
const stores: Store[] = [];
function open(dir = mkdtempSync(path.join(tmpdir(), "tunesmith-store-"))): { dir: string; store: Store } {
  dirs.push(dir);
  const store = openStore(dir);
  stores.push(store);
  return { dir, store };
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const offer = (hash: string): NewSubmission => ({
  guildId: "400000000000000001",
  userId: "300000000000000001",
  title: `Tune ${hash}`,
  fileName: "tune.abc",
  original: new TextEncoder().encode(`X:1\nT:${hash}\n`),
  contentHash: hash,
  tokens: ["<s>", "M:6/8", "K:major", "d", "</s>"],
});

const REVIEWER = "500000000000000001";

/** A pid that certainly belonged to a process which has exited. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ["-e", ""]);
  return run.pid as number;
}

describe("migrations 3 and 4", () => {
  it("add model_versions and training_runs (the ratings table of 3 is dropped by 4)", () => {
    const { dir, store } = open();
    store.close();
    const db = new BetterSqlite3(path.join(dir, DB_FILE), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(3);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(["model_versions", "training_runs"]));
    expect(tables).not.toContain("ratings");
    db.close();
  });
});

describe("reviewing submissions", () => {
  it("takes the oldest pending one, decides it once, and says why a second decision is refused", () => {
    const { store } = open();
    for (const h of ["aaa", "bbb", "ccc"]) store.addSubmission(offer(h));
    expect(store.nextPending()?.contentHash).toBe("aaa");
    const ok = store.reviewSubmission(1, "approved", REVIEWER);
    expect(ok).toMatchObject({ ok: true, submission: { id: 1, status: "approved", reviewer: REVIEWER } });
    expect(store.nextPending()?.contentHash).toBe("bbb");
    expect(store.reviewSubmission(1, "rejected", "500000000000000002")).toMatchObject({
      ok: false,
      code: "not-pending",
      reason: `submission #1 is no longer pending: it was approved by ${REVIEWER}`,
      submission: { status: "approved" },
    });
    expect(store.reviewSubmission(99, "approved", REVIEWER)).toMatchObject({
      ok: false,
      code: "not-found",
      reason: "there is no submission #99",
    });
    store.reviewSubmission(2, "rejected", REVIEWER);
    store.reviewSubmission(3, "approved", REVIEWER);
    expect(store.nextPending()).toBeUndefined();
    // Only approved submissions become used.
    expect(store.markUsed([1, 2, 3, 3, 42])).toBe(2);
    expect(store.listSubmissions().map((s) => s.status)).toEqual(["used", "rejected", "used"]);
    expect(store.reviewSubmission(3, "approved", REVIEWER)).toMatchObject({
      ok: false,
      reason: "submission #3 is no longer pending: it was used for training",
    });
    expect(store.getSubmission(2)?.status).toBe("rejected");
  });
});

describe("training runs", () => {
  it("go from queued to running to an outcome, with progress and a log", () => {
    const { store } = open();
    const run = store.createRun({ requestedBy: "600000000000000001", parameters: { steps: 10 } });
    expect(run).toMatchObject({ status: "queued", pid: null, log: "", parameters: { steps: 10 } });
    expect(store.activeRun()?.id).toBe(run.id);
    expect(store.startRun(run.id, process.pid)).toMatchObject({ ok: true, run: { status: "running" } });
    expect(store.startRun(run.id, process.pid)).toEqual({
      ok: false,
      reason: `training run #${run.id} is already running`,
    });
    const other = store.createRun();
    expect(store.startRun(other.id, process.pid)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(`another retraining \\(run #${run.id}\\) is running`),
    });
    const progress = {
      phase: "training",
      step: 3,
      totalSteps: 10,
      loss: 1.5,
      tokensPerSecond: 900,
      etaSeconds: 12,
    } as const;
    store.updateRunProgress(run.id, progress);
    store.appendRunLog(run.id, "first line");
    store.appendRunLog(run.id, "second line");
    const running = store.getRun(run.id);
    expect(running?.progress).toEqual(progress);
    expect(running?.log).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d first line\n.* second line\n$/);
    expect(store.finishRun(run.id, "rejected", null)).toBe(true);
    expect(store.finishRun(run.id, "failed", null)).toBe(false);
    expect(store.getRun(run.id)).toMatchObject({ status: "rejected", finishedAt: expect.any(String) });
    expect(store.latestRuns().map((r) => r.id)).toEqual([other.id, run.id]);
    expect(store.activeRun()?.id).toBe(other.id);
    expect(store.getRun(12345)).toBeUndefined();
  });

  it("whose process died are failed with a log line when the store is opened", () => {
    const { dir, store } = open();
    const dead = store.createRun();
    store.startRun(dead.id, deadPid());
    store.appendRunLog(dead.id, "step 3/10");
    const queued = store.createRun();
    store.close();

    const { store: reopened } = open(dir);
    const failed = reopened.getRun(dead.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.log).toMatch(/step 3\/10\n.*is no longer running/);
    // A queued run may be about to start: only failed when the caller owns the queue.
    expect(reopened.getRun(queued.id)?.status).toBe("queued");
    expect(reopened.failStaleRuns({ queued: true }).map((r) => r.id)).toEqual([queued.id]);
    expect(reopened.getRun(queued.id)?.log).toMatch(/no retraining process took it/);
    expect(reopened.activeRun()).toBeUndefined();
  });
});

describe("model version rows", () => {
  it("record versions; making one active retires the others and uses its training submissions", () => {
    const { store } = open();
    for (const h of ["aaa", "bbb", "ccc"]) store.addSubmission(offer(h));
    for (const id of [1, 2]) store.reviewSubmission(id, "approved", REVIEWER);
    store.recordVersion({ id: "0", parent: null, dir: "/models/base", status: "active" });
    const v1 = store.recordVersion({
      id: "v1-20260101000000",
      parent: "0",
      dir: "/data/models/v1-20260101000000",
      card: { name: "v1" },
      metrics: { gate: { passed: true } },
      submissions: [1, 3],
      runId: 7,
      status: "candidate",
    });
    expect(v1).toMatchObject({ status: "candidate", submissions: [1, 3], runId: 7, card: { name: "v1" } });
    // Submission 3 is still pending: it is not marked.
    expect(store.markVersionActive(v1.id)).toEqual({ usedSubmissions: 1 });
    expect(store.listVersions().map((v) => [v.id, v.status])).toEqual([
      ["0", "retired"],
      [v1.id, "active"],
    ]);
    expect(store.listSubmissions().map((s) => s.status)).toEqual(["used", "approved", "pending"]);
    expect(store.setVersionStatus("0", "rejected")).toBe(true);
    expect(store.getVersion("0")?.status).toBe("rejected");
    expect(() => store.markVersionActive("v9-20260101000000")).toThrow(/no model version/);
  });
});
