/**
 * `npm run retrain` as a child process, killed with SIGKILL at seeded points (before it
 * starts, during training, after k messages, after its result). After every kill: the
 * active version loads, every version directory on disk is whole, no submission is lost
 * or changes status unless a promotion completed, and the run is failed with its log,
 * by the parent (startRetrainProcess) or, when the parent is gone too, by the next store open.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/model/backend.js";
import { disposeWeights } from "../../src/model/lstm-weights.js";
import { loadModelDir } from "../../src/model/model-dir.js";
import { Rng } from "../../src/model/rng.js";
import { RETRAIN_SCRIPT, startRetrainProcess } from "../../src/retrain/process.js";
import { isRetrainMessage, type RetrainMessage } from "../../src/retrain/run-reports.js";
import { openStore, type Store } from "../../src/store/store.js";
import type { SubmissionStatus } from "../../src/store/submissions.js";
import { ModelVersions } from "../../src/versions/model-versions.js";
import { approveSubmissions, type Fixture, makeFixture, REPO_ROOT } from "./fixtures.js";

const STEPS = 40;
const ARGS = { steps: STEPS, batchSize: 4, seqLen: 32, learningRate: 0.02 };

let fixture: Fixture;
beforeAll(async () => {
  await initBackend("cpu");
  fixture = await makeFixture();
});
afterAll(() => fixture.cleanup());

type Snapshot = { pointer: string; statuses: Map<number, SubmissionStatus> };

function snapshot(store: Store, versions: ModelVersions): Snapshot {
  return {
    pointer: versions.activeVersion().id,
    statuses: new Map(store.listSubmissions().map((s) => [s.id, s.status])),
  };
}

/** Kills `child` once `when` says so (or at once); resolves with the messages seen. */
async function killWhen(
  child: ChildProcess,
  when: ((seen: readonly RetrainMessage[]) => boolean) | "now",
): Promise<RetrainMessage[]> {
  const seen: RetrainMessage[] = [];
  const closed = once(child, "close");
  if (when === "now") child.kill("SIGKILL");
  else
    child.on("message", (m) => {
      if (!isRetrainMessage(m)) return;
      seen.push(m);
      if (when(seen)) child.kill("SIGKILL");
    });
  await closed;
  return seen;
}

/** Everything that must hold after a crash, checked as the restarted bot would see it. */
async function checkInvariants(before: Snapshot, runId: number, finished: boolean): Promise<Snapshot> {
  const store = openStore(fixture.dataDir); // fails runs whose process is gone
  try {
    const versions = new ModelVersions({ dataDir: fixture.dataDir, baseModelDir: fixture.modelDir, store });
    versions.reconcile();
    const active = versions.activeVersion();
    expect(active.fallbackReason).toBeUndefined();
    for (const id of ["0", ...versions.versionIdsOnDisk()]) {
      const loaded = await loadModelDir(versions.dirOf(id));
      disposeWeights(loaded.weights);
    }
    const after = snapshot(store, versions);
    expect([...after.statuses.keys()]).toEqual([...before.statuses.keys()]);
    const changed = [...after.statuses].filter(([id, s]) => before.statuses.get(id) !== s).map(([id]) => id);
    if (after.pointer === before.pointer) expect(changed).toEqual([]);
    else {
      // A promotion happened: exactly its training tunes were used.
      const trained = store.getVersion(after.pointer)?.submissions ?? [];
      expect(changed.sort()).toEqual([...trained].sort());
      for (const id of changed) expect(after.statuses.get(id)).toBe("used");
    }
    const run = store.getRun(runId);
    if (finished) expect(run?.status).toMatch(/^(succeeded|rejected)$/);
    else {
      expect(run?.status).toBe("failed");
      expect(run?.log).toMatch(/killed by SIGKILL|no longer running/);
    }
    expect(store.activeRun()).toBeUndefined();
    return after;
  } finally {
    store.close();
  }
}

describe("a retraining process killed at random points", () => {
  it("never leaves a broken model, lost submissions or a run that looks alive", async () => {
    const rng = new Rng(20261121);
    const atStep = () => 1 + Math.floor(rng.next() * STEPS);
    const logged = (text: string) => (seen: readonly RetrainMessage[]) =>
      seen.some((m) => m.type === "log" && m.line.startsWith(text));
    const k1 = atStep();
    const k2 = atStep() + 12;
    const plans: { what: string; supervised: boolean; when: Parameters<typeof killWhen>[1] }[] = [
      { what: "at once", supervised: true, when: "now" },
      {
        what: `after step ${k1}, parent gone too`,
        supervised: false,
        when: (seen) => seen.some((m) => m.type === "progress" && m.step >= k1),
      },
      { what: `after ${k2} messages`, supervised: true, when: (seen) => seen.length >= k2 },
      // The risky window: writing the version, recording it, activating it.
      { what: "while saving, parent gone too", supervised: false, when: logged("new model:") },
      { what: "while activating", supervised: true, when: logged("wrote version") },
      { what: "while activating, parent gone too", supervised: false, when: logged("wrote version") },
      { what: "right after its result", supervised: true, when: (seen) => seen.at(-1)?.type === "result" },
    ];

    let nextTune = 0;
    let before: Snapshot | undefined;
    const outcomes: string[] = [];
    for (const plan of plans) {
      let runId: number;
      let seen: RetrainMessage[];
      const store = openStore(fixture.dataDir);
      try {
        // Earlier promotions use submissions up: keep enough approved for a real run.
        const approved = store.listSubmissions("approved").length;
        if (approved < 6) {
          approveSubmissions(store, 6 - approved, nextTune);
          nextTune += 6 - approved;
        }
        before = snapshot(
          store,
          new ModelVersions({ dataDir: fixture.dataDir, baseModelDir: fixture.modelDir }),
        );
        if (plan.supervised) {
          const started = startRetrainProcess({ store, env: fixture.env, ...ARGS });
          runId = started.runId;
          seen = await killWhen(started.child, plan.when);
          expect((await started.done).runId).toBe(runId);
        } else {
          runId = store.createRun({ parameters: ARGS }).id;
          const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
          const args = ["--run-id", String(runId), "--steps", String(STEPS), "--batch", "4", "--seq", "32"];
          const child = fork(RETRAIN_SCRIPT, [...args, "--lr", String(ARGS.learningRate)], {
            cwd: REPO_ROOT,
            env: fixture.env,
            execArgv: ["--import", tsx],
            stdio: ["ignore", "ignore", "ignore", "ipc"],
          });
          seen = await killWhen(child, plan.when);
        }
      } finally {
        store.close();
      }
      const finished = seen.some((m) => m.type === "result");
      before = await checkInvariants(before, runId, finished);
      outcomes.push(`${plan.what}: ${finished ? "finished" : `killed after ${seen.length} messages`}`);
    }
    // The last plan lets the run finish and promote; all the others were killed mid-run.
    expect(outcomes.at(-1)).toMatch(/finished/);
    expect(outcomes.filter((o) => o.includes("killed"))).toHaveLength(plans.length - 1);
    expect(before?.pointer).not.toBe("0");
  }, 120_000);
});
