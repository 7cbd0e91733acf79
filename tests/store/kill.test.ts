/**
 * A process adding submissions, SIGKILLed at seeded random moments (often in the middle of a
 * transaction): every submission it acknowledged is there afterwards, whole, and the
 * database passes SQLite's integrity check. The store runs in WAL mode with synchronous
 * FULL (better-sqlite3's default), so a commit that returned is on disk.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/model/rng.js";
import { DB_FILE, openStore } from "../../src/store/store.js";
import type { Submission } from "../../src/store/submissions.js";
import { submissionFor } from "./kill-fixture.js";

const WRITER = fileURLToPath(new URL("./kill-writer.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-kill-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the writer from `from` and kills it `delayMs` after its first acknowledgement. */
async function writeAndKill(from: number, delayMs: number): Promise<Map<number, number>> {
  const child = spawn(process.execPath, ["--import", TSX, WRITER, dataDir, String(from)], {
    // stdin is only watched: the writer stops when this process goes away.
    stdio: ["pipe", "pipe", "pipe"],
  });
  const acked = new Map<number, number>(); // id → n
  const stderr: string[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
  let pending = "";
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on("data", (d: Buffer) => {
    const lines = (pending + d.toString()).split("\n");
    pending = lines.pop() ?? ""; // a line cut off by the kill is not an acknowledgement
    for (const line of lines) {
      const [id, n] = line.split(" ").map(Number);
      acked.set(id as number, n as number);
    }
    timer ??= setTimeout(() => child.kill("SIGKILL"), delayMs);
  });
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  expect({ code, signal, stderr: stderr.join("") }).toMatchObject({ code: null, signal: "SIGKILL" });
  return acked;
}

/** Differences between a stored submission and submission n (empty when whole). */
function damage(stored: Submission | undefined, n: number): string[] {
  if (!stored) return [`submission ${n} is missing`];
  const expected = submissionFor(n);
  const problems: string[] = [];
  if (Buffer.compare(Buffer.from(stored.original), Buffer.from(expected.original)) !== 0)
    problems.push(`${n}: file bytes differ`);
  const fields = ["guildId", "userId", "title", "fileName", "contentHash"] as const;
  for (const field of fields) if (stored[field] !== expected[field]) problems.push(`${n}: ${field} differs`);
  if (stored.notes !== (expected.notes ?? null)) problems.push(`${n}: notes differ`);
  if (JSON.stringify(stored.tokens) !== JSON.stringify(expected.tokens)) problems.push(`${n}: tokens differ`);
  if (stored.status !== "pending") problems.push(`${n}: status ${stored.status}`);
  return problems;
}

describe("a process writing submissions, killed with SIGKILL", () => {
  it("loses no acknowledged submission and leaves a sound database", async () => {
    const rng = new Rng(20261122);
    const acknowledged = new Map<number, number>();
    for (let round = 0; round < 5; round++) {
      const delayMs = 5 + Math.floor(rng.next() * 150);
      const acked = await writeAndKill(round * 100_000, delayMs);
      expect(acked.size).toBeGreaterThan(0);
      for (const [id, n] of acked) acknowledged.set(id, n);

      const db = new BetterSqlite3(path.join(dataDir, DB_FILE));
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      } finally {
        db.close();
      }
      // Reopened as the restarted bot would, after every kill, checking everything so far.
      const store = openStore(dataDir);
      try {
        const problems = [...acknowledged].flatMap(([id, n]) => damage(store.getSubmission(id), n));
        // Whatever else got in (committed, killed before it was printed) is whole too.
        for (const s of store.listSubmissions()) {
          const n = Number(/^Kill Test (\d+)$/.exec(s.title)?.[1]);
          problems.push(...damage(s, n));
        }
        expect(problems).toEqual([]);
      } finally {
        store.close();
      }
    }
    expect(acknowledged.size).toBeGreaterThan(5);
  });
});
