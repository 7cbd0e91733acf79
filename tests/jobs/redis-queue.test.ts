/**
 * The Redis job queue in one process: the bot's side (RedisJobQueue) and a worker
 * (startJobWorker, as `npm run worker` runs it) on a real redis-server. A composition comes
 * back exactly as the in-process pool makes it; a request keyed by its interaction is
 * composed once; a user's mistake is not retried and reaches the user; waiting jobs learn
 * their place; closing withdraws the bot's waiting jobs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComposePool } from "../../src/compose/pool.js";
import { validateRequest } from "../../src/compose/request.js";
import { ComposeClosedError, ComposeFailedError } from "../../src/compose/service.js";
import { loadConfig } from "../../src/config.js";
import { RedisJobQueue } from "../../src/jobs/bullmq.js";
import { COMPOSE_QUEUE, jobIdFor } from "../../src/jobs/job-messages.js";
import { LocalJobQueue } from "../../src/jobs/local.js";
import { type RunningJobWorker, startJobWorker } from "../../src/jobs/redis-worker.js";
import { createLogger } from "../../src/log.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { VERSION_ZERO } from "../../src/versions/version-ids.js";
import { MODEL_DIR } from "../bot/harness.js";
import { type RedisServer, startRedis, warnIfNoRedis } from "../helpers/redis.js";

const noRedis = warnIfNoRedis("tests/jobs/redis-queue.test.ts");
const quick = { audio: false } as const;

function capture(lines: Record<string, unknown>[]) {
  return createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  });
}

describe.skipIf(noRedis)("the Redis job queue", () => {
  let redis: RedisServer;
  let dataDir: string;
  let queue: RedisJobQueue;
  let worker: RunningJobWorker | undefined;
  const workerLogs: Record<string, unknown>[] = [];
  const prefix = "tunesmith-test";

  const config = () =>
    loadConfig({
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      MODEL_DIR,
      TF_BACKEND: "wasm",
      COMPOSE_CONCURRENCY: "1",
      JOB_LOCK_MS: "5000",
      WORKER_JOBS: "compose",
      MODEL_POLL_SECONDS: "0",
    });
  const connect = () =>
    RedisJobQueue.connect({
      url: redis.url,
      prefix,
      source: { modelDir: MODEL_DIR, modelVersion: VERSION_ZERO },
      log: capture([]),
    });

  beforeAll(async () => {
    redis = await startRedis();
    dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-jobs-"));
    queue = await connect();
  }, 30_000);

  afterAll(async () => {
    await queue?.close();
    await worker?.stop();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("tells waiting jobs their place (no worker yet), and the bot's model before any worker reports", async () => {
    expect(queue.kind).toBe("redis");
    expect(queue.model).toMatchObject({ name: "folk-styles-2x256", version: VERSION_ZERO });
    const jobs = [11, 12, 13].map((seedValue) =>
      queue.submit(validateRequest({ bars: 4, candidates: 2, seedValue }), {
        ...quick,
        key: `place-${seedValue}`,
      }),
    );
    expect(await Promise.all(jobs.map((j) => j.position))).toEqual([1, 2, 3]);
    expect(queue.waiting).toBe(3);
    expect(queue.running).toBe(0);

    worker = await startJobWorker({ config: config(), log: capture(workerLogs), name: "worker-a" });
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results.map((r) => r.request.seedValue)).toEqual([11, 12, 13]);
  }, 60_000);

  it("brings a composition back exactly as the in-process pool makes it", async () => {
    const request = validateRequest({ style: "jig", bars: 8, candidates: 4, seedValue: 42 });
    const viaRedis = await queue.submit(request, { key: "same-as-local" }).result;
    const pool = await ComposePool.start({
      size: 1,
      modelDir: MODEL_DIR,
      modelVersion: VERSION_ZERO,
      backend: "wasm",
    });
    const local = new LocalJobQueue(pool, true);
    try {
      const here = await local.submit(request).result;
      expect(viaRedis.tune).toEqual(here.tune);
      expect(viaRedis.candidates).toEqual(here.candidates);
      expect(viaRedis.renderings.abc).toBe(here.renderings.abc);
      expect(viaRedis.renderings.midi).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(viaRedis.renderings.midi).equals(Buffer.from(here.renderings.midi))).toBe(true);
      expect(viaRedis.renderings.ogg?.length).toBeGreaterThan(1000);
      expect(viaRedis.renderings.png?.subarray(1, 4)).toEqual(new TextEncoder().encode("PNG"));
      expect(viaRedis.model).toEqual({ ...here.model });
    } finally {
      await local.close();
    }
  }, 60_000);

  it("composes a request submitted twice under one key once", async () => {
    const request = validateRequest({ bars: 4, candidates: 2, seedValue: 7 });
    const first = queue.submit(request, { ...quick, key: "interaction-1234" });
    const again = queue.submit(request, { ...quick, key: "interaction-1234" });
    const [a, b] = await Promise.all([first.result, again.result]);
    expect(b.tune).toEqual(a.tune);
    const id = jobIdFor("compose", "interaction-1234");
    expect(workerLogs.filter((l) => l.msg === "job started" && l.job === id)).toHaveLength(1);
    // And once more after it finished: the finished job answers.
    const later = await queue.submit(request, { ...quick, key: "interaction-1234" }).result;
    expect(later.tune).toEqual(a.tune);
    expect(workerLogs.filter((l) => l.msg === "job started" && l.job === id)).toHaveLength(1);
  }, 30_000);

  it("passes a user's mistake back with its message, without retrying it", async () => {
    const seed = parseAbc("X:1\nT:Five\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|");
    const failure = await queue
      .submit(validateRequest({ seed }), { ...quick, key: "five-four" })
      .result.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ComposeFailedError);
    expect(failure).toMatchObject({ userFacing: true, message: expect.stringMatching(/5\/4/) });
    const id = jobIdFor("compose", "five-four");
    expect(workerLogs.filter((l) => l.msg === "job started" && l.job === id)).toHaveLength(1);
  }, 30_000);

  it("renders an existing tune through the queue", async () => {
    const tune = parseAbc("X:1\nT:Given\nM:6/8\nL:1/8\nK:G\nGAB cBA|BAG D3|GAB cBA|G3 G3|]");
    const renderings = await queue.render(tune, { instrument: "flute", audio: false }).result;
    expect(renderings.abc).toContain("T:Given");
    expect(new TextDecoder().decode(renderings.midi.subarray(0, 4))).toBe("MThd");
  }, 30_000);

  it("on close withdraws its waiting jobs (their users are told) and refuses new ones", async () => {
    await worker?.stop();
    worker = undefined;
    const other = await connect();
    const jobs = [1, 2].map((seedValue) =>
      other.submit(validateRequest({ bars: 4, seedValue }), { ...quick, key: `closing-${seedValue}` }),
    );
    expect(await Promise.all(jobs.map((j) => j.position))).toEqual([1, 2]);
    await other.close();
    for (const job of jobs) await expect(job.result).rejects.toBeInstanceOf(ComposeClosedError);
    expect(() => other.submit(validateRequest({}))).toThrow(ComposeClosedError);
    const inspect = new Queue(COMPOSE_QUEUE, { connection: { url: redis.url }, prefix });
    try {
      expect(await inspect.getWaitingCount()).toBe(0);
    } finally {
      await inspect.close();
    }
  }, 30_000);
});
