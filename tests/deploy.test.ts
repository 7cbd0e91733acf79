/**
 * What an operator runs it with: the systemd units in deploy/ (verified by systemd-analyze
 * where it is installed) and `npm run backup` of a DATA_DIR that is being written to.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { backupDataDir } from "../src/backup.js";
import { openStore } from "../src/store/store.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The long-running services; deploy/ also holds a daily backup (a oneshot service and its timer). */
const UNITS = ["tunesmith.service", "tunesmith-worker.service"];
const ALL_UNITS = readdirSync(path.join(ROOT, "deploy")).filter((f) => /\.(service|timer)$/.test(f));
const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const noSystemd =
  analyze.status === 0 ? undefined : "systemd-analyze is not installed (apt-get install -y systemd)";
if (noSystemd) console.warn(`[skipped] systemd-analyze verify of deploy/*.service: ${noSystemd}`);

const dirs: string[] = [];
const temp = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), name));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function directives(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of readFileSync(path.join(ROOT, "deploy", unit), "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) found.set(m[1] as string, [...(found.get(m[1] as string) ?? []), m[2] as string]);
  }
  return found;
}

describe("the systemd units", () => {
  it.each(UNITS)(
    "%s restarts on failure, stops with SIGTERM to the program, reads the environment file, runs as a user",
    (unit) => {
      const d = directives(unit);
      expect(d.get("Restart")).toEqual(["on-failure"]);
      expect(d.get("KillSignal")).toEqual(["SIGTERM"]);
      // SIGTERM to the main process only: the program stops its own children (a retraining run).
      expect(d.get("KillMode")).toEqual(["mixed"]);
      expect(d.get("EnvironmentFile")?.[0]).toMatch(/^\/etc\/tunesmith\//);
      expect(d.get("User")).toEqual(["tunesmith"]);
      // node itself, not npm (npm does not pass SIGTERM on), on a file that exists.
      const exec = d.get("ExecStart")?.[0] ?? "";
      expect(exec).toMatch(/^\/usr\/bin\/node --import tsx \S+\.ts$/);
      expect(() => readFileSync(path.join(ROOT, exec.split(" ").at(-1) as string))).not.toThrow();
    },
  );

  it.skipIf(noSystemd !== undefined)("pass systemd-analyze verify (the backup service and timer too)", () => {
    expect(ALL_UNITS).toEqual(
      expect.arrayContaining([...UNITS, "tunesmith-backup.service", "tunesmith-backup.timer"]),
    );
    const run = spawnSync(
      "systemd-analyze",
      ["verify", ...ALL_UNITS.map((u) => path.join(ROOT, "deploy", u))],
      {
        encoding: "utf8",
      },
    );
    expect(`${run.stdout}${run.stderr}`).toBe("");
    expect(run.status).toBe(0);
  });
});

describe("npm run backup", () => {
  it("copies the database (online, while it is written) and the model versions named by the pointer", async () => {
    const dataDir = temp("tunesmith-backup-data-");
    const store = openStore(dataDir);
    for (let i = 0; i < 50; i++)
      store.saveSeed({
        userId: "300000000000000001",
        fileName: `s${i}.abc`,
        bytes: new Uint8Array(2048).fill(i),
      });
    const models = path.join(dataDir, "models");
    mkdirSync(path.join(models, "v1-20260101000000"), { recursive: true });
    writeFileSync(path.join(models, "v1-20260101000000", "model.json"), "{}");
    mkdirSync(path.join(models, ".staging-v2-123"));
    writeFileSync(
      path.join(models, "active.json"),
      JSON.stringify({ id: "v1-20260101000000", previous: [] }),
    );

    const out = temp("tunesmith-backup-out-");
    // Writes keep arriving while the copy is made.
    const writing = setInterval(
      () => store.saveSeed({ userId: "300000000000000002", fileName: "late.abc", bytes: new Uint8Array(64) }),
      1,
    );
    const result = await backupDataDir(dataDir, out, new Date("2026-12-05T20:00:00Z")).finally(() =>
      clearInterval(writing),
    );
    store.close();

    expect(result.integrity).toBe("ok");
    expect(result.dir).toBe(path.join(out, "tunesmith-2026-12-05T20-00-00-000Z"));
    expect(result.versions).toEqual(["v1-20260101000000"]);
    expect(readdirSync(result.dir).sort()).toEqual(["models", "tunesmith.db"]);
    expect(JSON.parse(readFileSync(path.join(result.dir, "models", "active.json"), "utf8")).id).toBe(
      "v1-20260101000000",
    );
    const copy = new BetterSqlite3(path.join(result.dir, "tunesmith.db"), { readonly: true });
    const first = copy
      .prepare("SELECT COUNT(*) FROM seeds WHERE user_id = '300000000000000001'")
      .pluck()
      .get();
    copy.close();
    expect(first).toBe(50);
    // The copy opens as a store: what a restore does.
    const restored = openStore(result.dir);
    expect(restored.getSeed(1)?.fileName).toBe("s0.abc");
    restored.close();
  });

  it("says what is wrong when DATA_DIR holds no database", async () => {
    await expect(backupDataDir(temp("tunesmith-empty-"), temp("tunesmith-out-"))).rejects.toThrow(
      /no database at .*tunesmith\.db: is DATA_DIR right\?/,
    );
  });
});
