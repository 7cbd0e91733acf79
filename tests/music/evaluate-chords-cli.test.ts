import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/** `npm run evaluate -- --chords` as a user runs it, on the chord-annotated fixture tunes. */
function evaluateChords(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/evaluate.ts", "--chords", "tests/fixtures/chords.abc", ...args],
    { encoding: "utf8" },
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run evaluate -- --chords", () => {
  it("prints the harmoniser's agreement next to both baselines", () => {
    const run = evaluateChords();
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Chords of 4 tunes of tests\/fixtures\/chords\.abc/);
    for (const row of [
      "harmoniser (HMM, Viterbi)",
      "baseline: the tonic chord everywhere",
      "baseline: diatonic triad",
    ])
      expect(run.stdout).toMatch(new RegExp(`${row.replace(/[()]/g, "\\$&")}.*\\d+\\.\\d%\\s+\\d+\\.\\d%`));
  });

  it("gives the same figures as JSON", () => {
    const run = evaluateChords("--json");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as {
      harmoniser: { sameChord: number };
      tonic: { sameChord: number };
    };
    expect(report.harmoniser.sameChord).toBeGreaterThan(0);
    expect(report.tonic.sameChord).toBeGreaterThan(0);
  });
});
