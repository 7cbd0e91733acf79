/**
 * The model version registry: which version is active (the pointer file), activation
 * only of models that load, rollback, whole-or-nothing version directories, and the
 * store reconciled with the pointer.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/model/backend.js";
import { Vocabulary } from "../../src/music/vocabulary.js";
import { openStore } from "../../src/store/store.js";
import { ACTIVE_POINTER } from "../../src/versions/active-pointer.js";
import { ModelVersions } from "../../src/versions/model-versions.js";
import { approveSubmissions, type Fixture, makeFixture } from "../retrain/fixtures.js";

const V1 = "v1-20260101000000";
const V2 = "v2-20260102000000";

let fixture: Fixture;
let n = 0;
/** A fresh data directory next to the fixture's model, with good copies of it as V1 and V2. */
function world(): { dataDir: string; versions: ModelVersions } {
  const dataDir = path.join(fixture.root, `data-${++n}`);
  for (const id of [V1, V2]) cpSync(fixture.modelDir, path.join(dataDir, "models", id), { recursive: true });
  return { dataDir, versions: new ModelVersions({ dataDir, baseModelDir: fixture.modelDir }) };
}

beforeAll(async () => {
  await initBackend("cpu");
  fixture = await makeFixture();
});
afterAll(() => fixture.cleanup());

describe("the active version", () => {
  it("is version 0 without a pointer, and falls back to it (saying why) when the pointer cannot be followed", () => {
    const { dataDir, versions } = world();
    expect(versions.activeVersion()).toEqual({ id: "0", dir: fixture.modelDir });
    expect(versions.pointerStamp()).toBe("");
    const pointer = path.join(dataDir, "models", ACTIVE_POINTER);
    writeFileSync(pointer, JSON.stringify({ id: "v7-20260101000000", previous: ["0"] }));
    expect(versions.activeVersion()).toMatchObject({
      id: "0",
      fallbackReason: expect.stringMatching(/v7-20260101000000 is incomplete/),
    });
    writeFileSync(pointer, "{ not json");
    expect(versions.activeVersion()).toMatchObject({
      id: "0",
      fallbackReason: expect.stringMatching(/unreadable/),
    });
  });

  it("changes by activation, which leaves a new pointer stamp, and goes back by rollback", async () => {
    const { dataDir, versions } = world();
    expect(await versions.activate("v1")).toEqual({ id: V1, dir: path.join(dataDir, "models", V1) });
    const first = versions.pointerStamp();
    expect(JSON.parse(first)).toMatchObject({ id: V1, previous: ["0"] });
    await versions.activate(V2);
    expect(versions.pointerStamp()).not.toBe(first);
    expect(versions.readPointer()).toMatchObject({ id: V2, previous: [V1, "0"] });
    // Activating the active version changes nothing.
    const stamp = versions.pointerStamp();
    await versions.activate(V2);
    expect(versions.pointerStamp()).toBe(stamp);

    expect(await versions.rollback()).toMatchObject({ from: V2, to: { id: V1 } });
    expect(await versions.rollback()).toMatchObject({ from: V1, to: { id: "0", dir: fixture.modelDir } });
    await expect(versions.rollback()).rejects.toThrow(
      "there is nothing to roll back to: the shipped model (version 0) is active and no version was active before it",
    );
    // No temporary or lock file is left behind.
    expect(readdirSync(path.join(dataDir, "models")).sort()).toEqual([ACTIVE_POINTER, V1, V2].sort());
  });

  it("is never a model that fails to load or speaks another vocabulary", async () => {
    const { dataDir, versions } = world();
    const v1 = path.join(dataDir, "models", V1);
    const weights = readFileSync(path.join(v1, "weights.bin"));
    writeFileSync(path.join(v1, "weights.bin"), weights.subarray(0, weights.length / 2));
    await expect(versions.activate(V1)).rejects.toThrow(`model version ${V1} cannot be loaded`);
    writeFileSync(path.join(v1, "model.json"), "{");
    await expect(versions.activate(V1)).rejects.toThrow(/cannot be loaded/);
    expect(versions.pointerStamp()).toBe("");

    const v2 = path.join(dataDir, "models", V2);
    const other = Vocabulary.fromJSON(JSON.parse(readFileSync(path.join(v2, "vocab.json"), "utf8")));
    const swapped = [...other.tokens];
    [swapped[3], swapped[4]] = [swapped[4] as string, swapped[3] as string];
    const card = JSON.parse(readFileSync(path.join(v2, "card.json"), "utf8"));
    const renamed = Vocabulary.fromJSON({ format: "tunesmith-vocab/1", tokens: swapped });
    writeFileSync(path.join(v2, "vocab.json"), JSON.stringify(renamed.toJSON()));
    writeFileSync(
      path.join(v2, "card.json"),
      JSON.stringify({ ...card, vocabularyFingerprint: renamed.fingerprint() }),
    );
    await expect(versions.activate(V2)).rejects.toThrow(/uses another vocabulary/);
    expect(versions.activeVersion().id).toBe("0");
    await expect(versions.activate("v9")).rejects.toThrow(
      /there is no model version "v9" \(known: 0, v1-.*, v2-.*\)/,
    );
  });

  it("breaks the lock of a process that died holding it", async () => {
    const { dataDir, versions } = world();
    writeFileSync(path.join(dataDir, "models", "active.lock"), "999999999");
    await versions.activate(V1);
    expect(versions.activeVersion().id).toBe(V1);
  });
});

describe("new versions", () => {
  it("appear whole or not at all, with the next number", async () => {
    const { dataDir, versions } = world();
    const id = versions.nextVersionId(new Date("2026-03-04T05:06:07Z"));
    expect(id).toBe("v3-20260304050607");
    await expect(
      versions.createVersion(id, async (dir) => {
        writeFileSync(path.join(dir, "model.json"), "{}");
        throw new Error("disk full");
      }),
    ).rejects.toThrow("disk full");
    expect(existsSync(path.join(dataDir, "models", id))).toBe(false);
    // A dead writer's staging directory is swept before the next write.
    mkdirSync(path.join(dataDir, "models", ".staging-v4-20260101000000-999999999"));
    const dir = await versions.createVersion(id, async (staging) => {
      cpSync(fixture.modelDir, staging, { recursive: true });
    });
    expect(dir).toBe(path.join(dataDir, "models", id));
    expect(readdirSync(path.join(dataDir, "models")).filter((f) => f.startsWith("."))).toEqual([]);
    await expect(versions.createVersion(id, async () => {})).rejects.toThrow(/already exists/);
    expect(versions.resolveId("3")).toBe(id);
  });
});

describe("old versions", () => {
  it("are deleted beyond the newest and the rollback targets; the active one and version 0 stay, and rollback still works", async () => {
    const { dataDir } = world();
    const store = openStore(dataDir);
    const versions = new ModelVersions({ dataDir, baseModelDir: fixture.modelDir, store });
    const ids = [V1, V2, "v3-20260103000000", "v4-20260104000000", "v5-20260105000000", "v6-20260106000000"];
    for (const id of ids.slice(2)) cpSync(fixture.modelDir, versions.dirOf(id), { recursive: true });
    for (const id of ids.slice(0, 4)) await versions.activate(id);
    // v4 active; rollback would go to v3, v2, v1, 0; v5 and v6 are newer candidates.
    expect(await versions.prune(2)).toEqual([V1]);
    expect(versions.versionIdsOnDisk()).toEqual(ids.slice(1));
    expect(versions.readPointer()).toMatchObject({ id: ids[3], previous: [ids[2], V2, "0"] });
    // The store keeps the history.
    expect(versions.listVersions().find((v) => v.id === V1)).toMatchObject({ onDisk: false });
    expect(readdirSync(path.join(dataDir, "models")).filter((f) => f.startsWith("."))).toEqual([]);

    expect(await versions.prune(1)).toEqual([V2, ids[4]]);
    expect(versions.versionIdsOnDisk()).toEqual([ids[2], ids[3], ids[5]]);
    expect(await versions.rollback()).toMatchObject({ to: { id: ids[2] } });
    expect(await versions.rollback()).toMatchObject({ to: { id: "0", dir: fixture.modelDir } });
    expect(existsSync(path.join(fixture.modelDir, "model.json"))).toBe(true);
    await expect(versions.prune(0)).rejects.toThrow("keep must be 1 or more");
    store.close();
  });
});

describe("the store", () => {
  it("follows the pointer, completing a promotion interrupted after the pointer was written", () => {
    const { dataDir } = world();
    const store = openStore(dataDir);
    try {
      const ids = approveSubmissions(store, 3);
      store.recordVersion({
        id: V1,
        parent: "0",
        dir: path.join(dataDir, "models", V1),
        submissions: ids.slice(0, 2),
        status: "candidate",
      });
      // The crash: the pointer names V1, but the store was never told.
      writeFileSync(
        path.join(dataDir, "models", ACTIVE_POINTER),
        JSON.stringify({ id: V1, previous: ["0"], activatedAt: "" }),
      );
      const versions = new ModelVersions({ dataDir, baseModelDir: fixture.modelDir, store });
      const listed = versions.listVersions();
      expect(listed.map((v) => [v.id, v.status, v.active])).toEqual([
        ["0", "candidate", false],
        [V1, "active", true],
        [V2, "candidate", false],
      ]);
      expect(store.getVersion(V1)?.status).toBe("active");
      expect(store.listSubmissions().map((s) => s.status)).toEqual(["used", "used", "approved"]);
    } finally {
      store.close();
    }
  });
});
