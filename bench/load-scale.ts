/**
 * Throughput of the Redis job queue with 1 and then 2 `npm run worker` processes (and, for
 * reference, the in-process pool with as many threads): the same burst of /compose-like
 * requests (default: 16-bar reels, best of 8, MIDI + audio + score, like the bot) submitted
 * at once through RedisJobQueue, timed from the first submission to the last result.
 *
 *   npm run bench -- load-scale [--requests=40] [--workers=1,2] [--concurrency=1] [--bars=16]
 *                               [--redis-url=redis://…] [--no-local]
 *
 * Without --redis-url it starts its own redis-server (the Debian package) on a free port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import type { ComposeResult } from "../src/compose/composer.js";
import { ComposePool } from "../src/compose/pool.js";
import { type ComposeRequest, validateRequest } from "../src/compose/request.js";
import { RedisJobQueue } from "../src/jobs/bullmq.js";
import { LocalJobQueue } from "../src/jobs/local.js";
import type { JobQueue } from "../src/jobs/queue.js";
import { createLogger } from "../src/log.js";
import { VERSION_ZERO } from "../src/versions/version-ids.js";
import { MODEL_DIR } from "../tests/bot/harness.js";
import { type RedisServer, startRedis } from "../tests/helpers/redis.js";
import { type ScriptProcess, startWorker, stopProcess } from "../tests/jobs/processes.js";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    requests: { type: "string", default: "40" },
    workers: { type: "string", default: "1,2" },
    concurrency: { type: "string", default: "1" },
    bars: { type: "string", default: "16" },
    "redis-url": { type: "string" },
    "no-local": { type: "boolean", default: false },
    // Present when started as `npm run bench -- load --redis`.
    redis: { type: "boolean", default: false },
  },
});
const requests = Number(values.requests);
const workerCounts = values.workers.split(",").map(Number);
const concurrency = Number(values.concurrency);
const bars = Number(values.bars);
const silent = createLogger({
  level: "silent",
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

interface Round {
  readonly label: string;
  /** Tunes each worker process made, for the Redis rounds. */
  readonly shares?: readonly number[];
  readonly seconds: number;
  readonly perSecond: number;
  readonly medianMs: number;
  readonly p95Ms: number;
}

const request = (i: number): ComposeRequest => validateRequest({ style: "reel", bars, seedValue: 1000 + i });

async function burst(queue: JobQueue, label: string, round: number): Promise<Round> {
  // Warm every composer thread (the first tune of a thread pays for its setup).
  await Promise.all(
    Array.from({ length: 4 }, (_, i) => queue.submit(request(i), { key: `warm-${round}-${i}` }).result),
  );
  const started = performance.now();
  const latencies: number[] = [];
  const results: Promise<ComposeResult>[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const job = queue.submit(request(100 + i), { key: `bench-${round}-${i}` });
    results.push(
      job.result.then((r) => {
        latencies.push(performance.now() - t0);
        return r;
      }),
    );
  }
  await Promise.all(results);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { label, seconds, perSecond: requests / seconds, medianMs: at(0.5), p95Ms: at(0.95) };
}

async function local(threads: number, round: number): Promise<Round> {
  const pool = await ComposePool.start({
    size: threads,
    modelDir: MODEL_DIR,
    modelVersion: VERSION_ZERO,
    backend: "wasm",
    maxQueue: requests + 10,
  });
  const queue = new LocalJobQueue(pool, true);
  try {
    return await burst(queue, `in-process pool, ${threads} thread${threads === 1 ? "" : "s"}`, round);
  } finally {
    await queue.close();
  }
}

async function redisRound(url: string, workers: number, round: number): Promise<Round> {
  const prefix = `tunesmith-bench-${process.pid}-${round}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-bench-"));
  const env = {
    REDIS_URL: url,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    MODEL_DIR,
    TF_BACKEND: "wasm",
    COMPOSE_CONCURRENCY: String(concurrency),
    WORKER_JOBS: "compose",
    LOG_LEVEL: "debug",
  };
  const started: ScriptProcess[] = [];
  const queue = await RedisJobQueue.connect({
    url,
    prefix,
    source: { modelDir: MODEL_DIR, modelVersion: VERSION_ZERO },
    log: silent,
  });
  try {
    started.push(...(await Promise.all(Array.from({ length: workers }, () => startWorker(env)))));
    const label = `Redis, ${workers} worker process${workers === 1 ? "" : "es"} × ${concurrency}`;
    const result = await burst(queue, label, round);
    const shares = started.map((w) => w.logs.filter((l) => l.msg === "job done").length);
    return { ...result, shares };
  } finally {
    await queue.close();
    await Promise.all(started.map((w) => stopProcess(w)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const server: RedisServer | undefined = values["redis-url"] ? undefined : await startRedis();
const url = values["redis-url"] ?? (server as RedisServer).url;
console.log(
  `${requests} requests at once (${bars}-bar reels, best of 8, MIDI + audio + score), folk-styles-2x256 on wasm; ` +
    `Redis ${server ? (server.version.split(" ")[2] ?? "") : "given"}`,
);
const rounds: Round[] = [];
let round = 0;
try {
  for (const workers of workerCounts) {
    if (!values["no-local"]) rounds.push(await local(workers * concurrency, round++));
    rounds.push(await redisRound(url, workers, round++));
  }
} finally {
  await server?.stop();
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\n${pad("", 44)} ${pad("seconds", 8)} ${pad("tunes/s", 8)} ${pad("median ms", 10)} p95 ms`);
for (const r of rounds)
  console.log(
    `${pad(r.label, 44)} ${pad(r.seconds.toFixed(1), 8)} ${pad(r.perSecond.toFixed(2), 8)} ${pad(r.medianMs.toFixed(0), 10)} ${pad(r.p95Ms.toFixed(0), 7)}` +
      (r.shares ? ` tunes per worker (warm-up included): ${r.shares.join(" / ")}` : ""),
  );
const redis = rounds.filter((r) => r.label.startsWith("Redis"));
const [one, two] = [redis[0], redis[1]];
if (one && two)
  console.log(`\n${two.label} / ${one.label}: ${(two.perSecond / one.perSecond).toFixed(2)}× the throughput`);
const locals = rounds.filter((r) => !r.label.startsWith("Redis"));
for (const [i, r] of redis.entries()) {
  const l = locals[i];
  if (l) console.log(`${r.label} vs ${l.label}: ${(r.perSecond / l.perSecond).toFixed(2)}×`);
}
