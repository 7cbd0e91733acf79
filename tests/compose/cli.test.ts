import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { readNotesIndependently } from "../../src/music/midi-verify.js";
import { readOggOpus } from "../../src/render/audio/ogg.js";
import { pngSize } from "../../src/render/png.js";

const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm run compose` as a user runs it: no token, no network, a fresh process. */
function compose(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/compose.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, DISCORD_TOKEN: "", TF_BACKEND: "wasm" },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run compose", () => {
  it("writes .mid, .ogg, .png and .abc per tune and a JSON summary", () => {
    const seed = path.join(dir, "seed.abc");
    writeFileSync(seed, "X:1\nT:Seed\nM:6/8\nL:1/8\nK:G\nGAB c2d|e2d BAG|\n");
    const out = path.join(dir, "out");
    const run = compose(
      "--style",
      "jig",
      "--bars",
      "4",
      "--count",
      "2",
      "--seed",
      seed,
      "--out",
      out,
      "--json",
    );
    expect(run.stderr).toMatch(/backend: wasm/);
    expect(run.status).toBe(0);
    const summaries = JSON.parse(run.stdout) as {
      files: Record<string, string>;
      meter: string;
      key: string;
      abc: string;
      model: { name: string; backend: string };
      timings: { totalMs: number };
    }[];
    expect(summaries).toHaveLength(2);
    for (const s of summaries) {
      expect(s).toMatchObject({
        meter: "6/8",
        key: "G",
        model: { name: "folk-styles-2x256", backend: "wasm" },
      });
      expect(Object.keys(s.files).sort()).toEqual(["abc", "mid", "ogg", "png"]);
      expect(parseAbc(readFileSync(s.files.abc as string, "utf8")).title).toBe("Seed");
      expect(readNotesIndependently(readFileSync(s.files.mid as string)).notes.length).toBeGreaterThan(6);
      expect(readOggOpus(readFileSync(s.files.ogg as string)).seconds).toBeGreaterThan(2);
      expect(pngSize(readFileSync(s.files.png as string)).width).toBeGreaterThan(500);
    }
  }, 60_000);

  it("explains a bad request and exits with status 2", () => {
    const run = compose("--temperature", "9", "--style", "tango", "--out", dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/temperature must be a number from 0.1 to 3/);
    expect(run.stderr).toMatch(/style must be one of reel, jig/);
  }, 30_000);

  it("prints its usage for --help, and names a mistyped option with the usage instead of a stack trace", () => {
    const help = compose("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Compose tunes offline/);
    expect(help.stdout).toMatch(/npm run compose -- \[--style jig\]/);
    for (const args of [["--stlye", "jig"], ["--bars"]]) {
      const run = compose(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(
        /^compose: (Unknown option '--stlye'|Option '--bars <value>' argument missing)/,
      );
      expect(run.stderr).toMatch(/npm run compose -- \[--style jig\]/);
      expect(run.stderr).not.toMatch(/ at |ERR_PARSE_ARGS/);
    }
  }, 30_000);
});
