import { availableParallelism } from "node:os";
import { generateCase } from "../tests/fuzz/generators.js";
import { DEFAULTS, formatSummary, runCase, runWatched } from "../tests/fuzz/runner.js";
import { parseCommandLine } from "./command-line.js";

/**
 * npm run fuzz -- [--count N] [--seed S] [--workers W] [--case I] [--time-limit MS]
 * Feeds seeded hostile MIDI and ABC to the tune readers in watched worker threads and
 * exits non-zero if any case escapes with a raw exception, hangs, runs out of memory or
 * yields an invalid tune. `--case` reruns one case in this thread and prints its detail.
 */
const { values } = parseCommandLine(import.meta.url, {
  options: {
    count: { type: "string", default: "20000" },
    seed: { type: "string", default: "1" },
    workers: { type: "string" },
    case: { type: "string" },
    "time-limit": { type: "string", default: String(DEFAULTS.timeLimitMs) },
  },
});

const seed = Number(values.seed);
const count = Number(values.count);
const timeLimitMs = Number(values["time-limit"]);
if (![seed, count, timeLimitMs].every(Number.isSafeInteger) || count < 1) {
  console.error("usage: npm run fuzz -- [--count N] [--seed S] [--workers W] [--case I] [--time-limit MS]");
  process.exit(2);
}

if (values.case !== undefined) {
  const c = generateCase(seed, Number(values.case));
  const size = typeof c.input === "string" ? `${c.input.length} characters` : `${c.input.length} bytes`;
  console.log(`case #${c.index} of seed ${seed}: ${c.family} → ${c.target}, ${size}`, c.limits ?? "");
  const r = runCase(c, { timeLimitMs });
  console.log(`${r.outcome} in ${r.ms.toFixed(1)} ms${r.detail ? `\n${r.detail}` : ""}`);
  process.exit(["ok", "typed-error"].includes(r.outcome) ? 0 : 1);
}

const workers = Number(values.workers ?? Math.max(1, Math.min(4, availableParallelism())));
if (!Number.isSafeInteger(workers) || workers < 1) {
  console.error("--workers must be a positive integer");
  process.exit(2);
}
let lastPrint = 0;
const summary = await runWatched(seed, count, {
  workers,
  timeLimitMs,
  onResult: (r, done) => {
    if (r.outcome !== "ok" && r.outcome !== "typed-error")
      console.log(`#${r.index} ${r.outcome}: ${r.family}`);
    if (process.stdout.isTTY && (performance.now() - lastPrint > 500 || done === count)) {
      lastPrint = performance.now();
      process.stdout.write(`\r${done}/${count} cases`);
    }
  },
});
if (process.stdout.isTTY) process.stdout.write("\n");
console.log(formatSummary(summary));
const heapBoundMb = 64;
const leaked = summary.heapGrowthMb > heapBoundMb;
if (leaked) console.log(`BUG: live heap grew by more than ${heapBoundMb} MB over the run`);
process.exit(summary.bugs.length > 0 || leaked ? 1 : 0);
