/**
 * The audio preview before and after the SoundFont, in one run: the previous pipeline (a
 * sound bank built in code, the melody alone) is taken from git — the last commit that had
 * it — into .bench-baseline/, and both render the same composed tunes.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tuneToMidi } from "../src/music/midi-write.js";
import type { Tune } from "../src/music/tune.js";
import { prepareAudioPreview, renderAudioPreview } from "../src/render/audio.js";
import { ACCOMPANIMENTS, allPrograms, INSTRUMENTS } from "../src/render/instruments.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Pipeline {
  prepare(): Promise<void> | void;
  render(midi: Uint8Array): Promise<{ seconds: number }>;
}

/** The previous audio code, extracted from git (undefined outside a git checkout). */
function baselinePipeline(): Promise<Pipeline> | undefined {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const deleted = git("log", "-1", "--format=%H", "--diff-filter=D", "--", "src/render/audio/sf2.ts");
    if (!deleted) return undefined;
    const dir = path.join(ROOT, ".bench-baseline", deleted.slice(0, 10));
    if (!existsSync(path.join(dir, "src/render/audio.ts"))) {
      mkdirSync(dir, { recursive: true });
      const tar = execFileSync("git", ["archive", `${deleted}^`, "src/render", "src/music"], { cwd: ROOT });
      execFileSync("tar", ["-x", "-C", dir], { input: tar });
    }
    return import(path.join(dir, "src/render/audio.ts")).then((m) => ({
      prepare: () => m.prepareAudioPreview(),
      render: (midi: Uint8Array) => m.renderAudioPreview(midi),
    }));
  } catch {
    return undefined;
  }
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export interface PreviewStart {
  readonly newPrepareMs: number;
  readonly newRssMb: number;
  readonly old?: { readonly pipeline: Pipeline; readonly prepareMs: number; readonly rssMb: number };
}

/** Start-up cost of each pipeline (run first, before anything else is loaded). */
export async function previewStart(): Promise<PreviewStart> {
  let rss = rssMb();
  let t = performance.now();
  await prepareAudioPreview(allPrograms());
  const newPrepareMs = performance.now() - t;
  const newRssMb = rssMb() - rss;
  const oldPipeline = await baselinePipeline();
  if (!oldPipeline) return { newPrepareMs, newRssMb };
  rss = rssMb();
  t = performance.now();
  await oldPipeline.prepare();
  return {
    newPrepareMs,
    newRssMb,
    old: { pipeline: oldPipeline, prepareMs: performance.now() - t, rssMb: rssMb() - rss },
  };
}

/** Renders each tune's preview both ways and prints the figures. */
export async function benchPreview(start: PreviewStart, tunes: readonly Tune[]): Promise<void> {
  const fiddle = INSTRUMENTS.fiddle.program;
  const melodyOnly = tunes.map((tune) => tuneToMidi(tune, { program: fiddle }));
  const withBacking = tunes.map((tune) =>
    tuneToMidi(tune, { program: fiddle, accompaniment: ACCOMPANIMENTS.guitar }),
  );
  const time = async (render: Pipeline["render"], files: Uint8Array[]) => {
    const ms: number[] = [];
    let seconds = 0;
    for (const midi of files) {
      const t = performance.now();
      seconds += (await render(midi)).seconds;
      ms.push(performance.now() - t);
    }
    return { first: ms[0] as number, median: median(ms), seconds: seconds / files.length };
  };
  // The first render of each is the first preview after start-up (the pipelines were prepared).
  const newFull = await time(renderAudioPreview, withBacking);
  const newMelody = await time(renderAudioPreview, melodyOnly);
  const old = start.old ? await time(start.old.pipeline.render, melodyOnly) : undefined;
  console.log(
    `audio preview of ${tunes.length} default tunes (16-bar reel, fiddle; ${newFull.seconds.toFixed(1)} s of audio each):`,
  );
  if (old && start.old) {
    console.log(
      `  old (sound bank built in code, melody alone): median ${Math.round(old.median)} ms, first ${Math.round(old.first)} ms; ` +
        `start-up ${Math.round(start.old.prepareMs)} ms, +${Math.round(start.old.rssMb)} MB RSS`,
    );
  } else {
    console.log("  old: not measured (needs a git checkout with the previous audio code in its history)");
  }
  console.log(
    `  new (FluidR3Mono SoundFont, melody + guitar backing): median ${Math.round(newFull.median)} ms, first ${Math.round(newFull.first)} ms; ` +
      `start-up ${Math.round(start.newPrepareMs)} ms (SoundFont loaded, every instrument warmed), +${Math.round(start.newRssMb)} MB RSS`,
  );
  console.log(`  new, melody alone (chords:off): median ${Math.round(newMelody.median)} ms`);
}
