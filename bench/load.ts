/**
 * The real bot under a burst of users: `users` members issue /compose within `spread`
 * seconds, through the Discord emulator (on its own worker thread, so only the bot's work
 * runs on this event loop), composed by the bot's own pool of `workers` threads.
 *
 *   npm run bench -- load [--users=50] [--workers=2] [--bars=16] [--spread=3]
 *
 * Prints how many got their tune, were told the bot is busy, got an error, or were lost
 * (no deferral within Discord's 3 s, or no final answer); deferral times; time to the final
 * reply (p50, p95); throughput; and the bot's event-loop delay (p99, max) during the run.
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { deployCommands } from "../src/bot/deploy.js";
import { startBot } from "../src/bot/start.js";
import { config } from "../src/config.js";
import { createLogger } from "../src/log.js";
import type { EmulatorMessage, Outcome, RunOrder } from "./load-emulator.js";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    users: { type: "string", default: "50" },
    workers: { type: "string" },
    bars: { type: "string", default: "16" },
    spread: { type: "string", default: "3" },
  },
});
const users = Number(values.users);
const workers = Number(values.workers ?? config().composeConcurrency);
const bars = Number(values.bars);
const spreadMs = Number(values.spread) * 1000;

const TSX_API = import.meta.resolve("tsx/esm/api");
const BOOT = `const { workerData } = require("node:worker_threads");
import(${JSON.stringify(TSX_API)}).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));`;
const emulator = new Worker(BOOT, {
  eval: true,
  workerData: { entry: new URL("./load-emulator.ts", import.meta.url).href },
});
const next = () =>
  new Promise<EmulatorMessage>((resolve, reject) => {
    emulator.once("message", resolve);
    emulator.once("error", reject);
  });

const ready = await next();
if (ready.type !== "ready") throw new Error("the emulator did not start");
const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-load-"));
const logFile = path.join(dataDir, "bot.log");
const bot = await startBot({
  config: {
    discordToken: ready.token,
    discordApiUrl: ready.apiUrl,
    dataDir,
    composeConcurrency: workers,
    composeCooldownSeconds: 0,
  },
  // Logged as in production (info, JSON), to a file rather than the terminal.
  log: createLogger({
    level: "info",
    secrets: [ready.token],
    destination: createWriteStream(logFile),
  }),
});
await deployCommands({
  token: ready.token,
  commands: bot.commands,
  guildId: ready.guildId,
  apiUrl: ready.apiUrl,
});
console.log(
  `${users} users issue /compose bars:${bars} within ${spreadMs / 1000} s; bot with ${workers} composer thread${workers === 1 ? "" : "s"} ` +
    `(${bot.jobs.model.name} on ${bot.jobs.model.backend}), queue bound ${config().composeMaxQueue}; emulator on its own thread`,
);

// Node's default sampling. Each sample is the time between two ticks, so the delay is what
// exceeds the tick.
const RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
const runStarted = performance.now();
emulator.postMessage({ type: "run", users, bars, spreadMs, timeoutMs: 15 * 60_000 } satisfies RunOrder);
const done = await next();
const runSeconds = (performance.now() - runStarted) / 1000;
loop.disable();
if (done.type !== "done") throw new Error("unexpected message from the emulator");

await bot.stop();
await emulator.terminate();

const seen = done.seen;
const count = (o: Outcome) => seen.filter((s) => s.outcome === o).length;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) =>
  xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
const ms = (x: number) => `${Math.round(x)} ms`;
const s = (x: number) => `${(x / 1000).toFixed(1)} s`;

const defers = sorted(seen.flatMap((x) => (x.deferMs === undefined ? [] : [x.deferMs])));
const finals = sorted(seen.filter((x) => x.outcome === "completed").map((x) => x.finalMs as number));
const lastAnswer = Math.max(...seen.map((x) => x.startMs + (x.finalMs ?? 0)));
const completed = count("completed");

console.log(
  `completed ${completed} · rejected busy ${count("busy")} · failed ${count("failed")} · lost ${count("lost")} (of ${seen.length})`,
);
console.log(
  `deferral: p50 ${ms(quantile(defers, 0.5))}, p95 ${ms(quantile(defers, 0.95))}, max ${ms(defers.at(-1) ?? Number.NaN)} ` +
    `(${defers.length} deferred, all within 3 s: ${defers.length === seen.length && (defers.at(-1) ?? 0) < 3000 ? "yes" : "NO"})`,
);
console.log(
  `time to the tune: p50 ${s(quantile(finals, 0.5))}, p95 ${s(quantile(finals, 0.95))}, max ${s(finals.at(-1) ?? Number.NaN)}`,
);
console.log(
  `throughput: ${((completed / lastAnswer) * 60_000).toFixed(1)} tunes/min (${completed} in ${s(lastAnswer)} from the first request)`,
);
const delay = (ns: number) => `${Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1)} ms`;
console.log(
  `bot event loop delay during the run (${runSeconds.toFixed(1)} s; monitorEventLoopDelay, ${RESOLUTION_MS} ms ticks, ` +
    `tick subtracted): p50 ${delay(loop.percentile(50))}, p99 ${delay(loop.percentile(99))}, max ${delay(loop.max)} ` +
    `(emulator thread p99 ${done.emulatorLoopP99Ms.toFixed(1)} ms)`,
);
for (const x of seen.filter((y) => y.outcome === "failed" || y.outcome === "lost").slice(0, 5))
  console.log(`  ${x.outcome}: ${x.detail ?? "?"}`);
rmSync(dataDir, { recursive: true, force: true });
