import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAbcFile } from "../../src/music/abc-read.js";
import { hasChords, withoutChords } from "../../src/music/tune.js";

const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-harmonize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURE = "tests/fixtures/tunes.abc";

function harmonize(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/harmonize.ts", ...args], {
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run harmonize", () => {
  it("gives every tune of a file chords, in the same order, keeping every note", () => {
    const out = path.join(dir, "with-chords.abc");
    const run = harmonize(FIXTURE, "--out", out, "--json");
    expect(run.status).toBe(0);
    const before = parseAbcFile(readFileSync(FIXTURE, "utf8"));
    const after = parseAbcFile(readFileSync(out, "utf8"));
    expect(after.map((p) => p.ref.title)).toEqual(before.map((p) => p.ref.title));
    after.forEach((p, i) => {
      const original = before[i]?.result;
      if (!p.result.ok || !original?.ok) throw new Error(`tune ${i} did not parse`);
      expect(withoutChords(p.result.tune).elements).toEqual(withoutChords(original.tune).elements);
      expect(hasChords(p.result.tune)).toBe(true);
    });
    const summary = JSON.parse(run.stdout) as { tunes: { title: string; ok: boolean; chords: string[] }[] };
    expect(summary.tunes).toHaveLength(before.length);
    expect(summary.tunes.every((t) => t.ok && t.chords.length > 0)).toBe(true);
  });

  it("says how to use it when the file is missing", () => {
    const run = harmonize();
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/usage: npm run harmonize/);
  });
});
