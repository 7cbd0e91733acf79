/**
 * What the store keeps about people: seeds pruned after SEED_RETENTION_DAYS by the hourly
 * schedule (a fake clock runs weeks in milliseconds), and forgetUser deleting one user's
 * seeds and untrained submissions while listing the trained ones with their versions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PRUNE_EVERY_MS, startSeedPruning } from "../../src/store/seed-retention.js";
import { openStore, type Store } from "../../src/store/store.js";
import type { NewSubmission } from "../../src/store/submissions.js";

const DAY = 24 * 60 * 60 * 1000;
const ALICE = "300000000000000001";
const BOB = "300000000000000002";
const bytes = new TextEncoder().encode("X:1\nK:D\nd2f a2f|\n");

let dir: string | undefined;
let store: Store | undefined;
afterEach(() => {
  vi.useRealTimers();
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = dir = undefined;
});

function open(): Store {
  dir = mkdtempSync(path.join(tmpdir(), "tunesmith-retention-"));
  store = openStore(dir);
  return store;
}

const offer = (hash: string, userId: string): NewSubmission => ({
  guildId: null,
  userId,
  title: `Tune ${hash}`,
  fileName: "tune.abc",
  original: bytes,
  contentHash: hash,
  tokens: ["<s>", "d", "</s>"],
});

describe("seed retention", () => {
  it("deletes each seed at the first hourly prune after it is SEED_RETENTION_DAYS old, and only then", () => {
    vi.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z") });
    const s = open();
    const pruned: number[] = [];
    const pruning = startSeedPruning({ store: s, retentionDays: 30, onPruned: (n) => pruned.push(n) });
    vi.advanceTimersByTime(60_000);
    const old = s.saveSeed({ userId: ALICE, fileName: "old.abc", bytes }); // at 0 d 0 h 1 min
    vi.advanceTimersByTime(20 * DAY);
    const recent = s.saveSeed({ userId: BOB, fileName: "recent.abc", bytes });

    vi.advanceTimersByTime(10 * DAY - 60_000); // the prune at 30 d 0 h: a minute too young
    expect(s.getSeed(old)).toBeDefined();
    vi.advanceTimersByTime(PRUNE_EVERY_MS); // the next prune, at 30 d 1 h
    expect(s.getSeed(old)).toBeUndefined();
    expect(s.getSeed(recent)?.fileName).toBe("recent.abc");

    vi.advanceTimersByTime(20 * DAY);
    expect(s.getSeed(recent)).toBeUndefined();
    expect(pruned.filter((n) => n > 0)).toEqual([1, 1]);
    pruning.stop();
  });

  it("prunes at start: a bot that was down when a seed expired deletes it as it starts", () => {
    vi.useFakeTimers({ now: new Date("2026-03-01T12:00:00Z") });
    const s = open();
    const id = s.saveSeed({ userId: ALICE, fileName: "a.abc", bytes });
    vi.setSystemTime(new Date("2026-04-15T12:00:00Z"));
    const pruning = startSeedPruning({ store: s, retentionDays: 30 });
    expect(s.getSeed(id)).toBeUndefined();
    pruning.stop();
  });
});

describe("forgetUser", () => {
  it("deletes the user's seeds and pending, approved and rejected submissions; lists the trained ones", () => {
    const s = open();
    const aliceSeed = s.saveSeed({ userId: ALICE, fileName: "a.abc", bytes });
    const bobSeed = s.saveSeed({ userId: BOB, fileName: "b.abc", bytes });
    const add = (hash: string, user: string) => {
      const added = s.addSubmission(offer(hash, user));
      if (!added.added) throw new Error("not added");
      return added.submission.id;
    };
    const pending = add("p", ALICE);
    const approved = add("a", ALICE);
    const rejected = add("r", ALICE);
    const trained = add("t", ALICE);
    const bobs = add("b", BOB);
    s.reviewSubmission(approved, "approved", "admin");
    s.reviewSubmission(rejected, "rejected", "admin");
    s.reviewSubmission(trained, "approved", "admin");
    s.recordVersion({ id: "v1", parent: "0", dir: "/nowhere", submissions: [trained], status: "candidate" });
    s.markVersionActive("v1");
    expect(s.getSubmission(trained)?.status).toBe("used");

    expect(s.forgetUser(ALICE)).toEqual({
      seedsDeleted: 1,
      submissionsDeleted: [
        { id: pending, title: "Tune p", status: "pending" },
        { id: approved, title: "Tune a", status: "approved" },
        { id: rejected, title: "Tune r", status: "rejected" },
      ],
      trained: [{ id: trained, title: "Tune t", versions: ["v1"] }],
    });
    expect(s.getSeed(aliceSeed)).toBeUndefined();
    expect(s.getSeed(bobSeed)).toBeDefined();
    expect(s.listSubmissions().map((x) => x.id)).toEqual([trained, bobs]);
    // Asked again: nothing left to delete, the trained one still listed.
    expect(s.forgetUser(ALICE)).toMatchObject({ seedsDeleted: 0, submissionsDeleted: [] });
  });
});
