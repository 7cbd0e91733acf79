/**
 * Several processes on one host share DATA_DIR's SQLite store (shards of one bot, a retraining
 * worker next to the bot): started at the same moment on a new database, each migrates it or
 * waits for the one that does, and all of them can write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/store.js";
import { startScript } from "./processes.js";

const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-shared-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the SQLite store shared by processes", () => {
  it("is created and migrated once when four processes open it at the same moment", async () => {
    const script = path.join(import.meta.dirname, "open-store.ts");
    const processes = Array.from({ length: 4 }, () => startScript(script, [dir], {}));
    const exits = await Promise.all(processes.map((p) => p.exit));
    expect(exits, processes.map((p) => p.other.join("")).join("\n")).toEqual(
      processes.map(() => ({ code: 0, signal: null })),
    );
    const runs = processes.map((p) => p.logs.find((l) => l.msg === "opened")?.run);
    expect(new Set(runs).size).toBe(4);
    const store = openStore(dir);
    try {
      expect(store.latestRuns(10)).toHaveLength(4);
    } finally {
      store.close();
    }
  });
});
