/** The SQLite store: schema migrations, WAL, submissions (with duplicates) and seeds, across reopening. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { DB_FILE, openStore } from "../../src/store/store.js";
import type { NewSubmission } from "../../src/store/submissions.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-store-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const offer = (hash: string, userId = "300000000000000001"): NewSubmission => ({
  guildId: "400000000000000001",
  userId,
  title: `Tune ${hash}`,
  notes: null,
  fileName: "tune.abc",
  original: new TextEncoder().encode(`X:1\nT:${hash}\n`),
  contentHash: hash,
  tokens: ["<s>", "M:6/8", "K:major", "d", "</s>"],
});

describe("the store", () => {
  it("creates the schema in WAL mode and records its version", () => {
    const dir = tempDir();
    openStore(dir).close();
    const db = new BetterSqlite3(path.join(dir, DB_FILE), { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(expect.arrayContaining(["seeds", "submissions"]));
    db.close();
  });

  it("keeps pending submissions, refuses the same music twice, and lists by status", () => {
    const dir = tempDir();
    const store = openStore(dir);
    const first = store.addSubmission(offer("aaa"));
    expect(first.added).toBe(true);
    if (!first.added) return;
    expect(first.submission).toMatchObject({
      id: 1,
      status: "pending",
      reviewer: null,
      userId: "300000000000000001",
      tokens: ["<s>", "M:6/8", "K:major", "d", "</s>"],
    });
    expect(Date.parse(first.submission.createdAt)).not.toBeNaN();
    const again = store.addSubmission(offer("aaa", "300000000000000002"));
    expect(again).toMatchObject({ added: false, existing: { id: 1, userId: "300000000000000001" } });
    store.addSubmission(offer("bbb"));
    expect(store.listSubmissions("pending").map((s) => s.contentHash)).toEqual(["aaa", "bbb"]);
    expect(store.listSubmissions("approved")).toEqual([]);
    expect(store.findByHash("bbb")?.title).toBe("Tune bbb");
    expect(store.findByHash("ccc")).toBeUndefined();
    const seedId = store.saveSeed({
      userId: "300000000000000001",
      fileName: "seed.mid",
      bytes: new Uint8Array([0x4d, 0x54, 0x68, 0x64]),
    });
    store.close();

    // Reopened (a restart): everything is still there, and migrations are not re-run.
    const reopened = openStore(dir);
    expect(reopened.listSubmissions().map((s) => s.id)).toEqual([1, 2]);
    expect(Buffer.from(reopened.findByHash("aaa")?.original ?? []).toString()).toBe("X:1\nT:aaa\n");
    expect(reopened.getSeed(seedId)).toEqual({
      id: seedId,
      fileName: "seed.mid",
      bytes: new Uint8Array([0x4d, 0x54, 0x68, 0x64]),
    });
    expect(reopened.getSeed(seedId + 1)).toBeUndefined();
    reopened.close();
  });

  it("refuses a database written by a newer version", () => {
    const dir = tempDir();
    openStore(dir).close();
    const db = new BetterSqlite3(path.join(dir, DB_FILE));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openStore(dir)).toThrow(/newer than this code knows/);
  });
});
