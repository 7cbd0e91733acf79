import { hostname } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ComposePool } from "../compose/pool.js";
import { ComposeFailedError } from "../compose/service.js";
import { type Config, redisLocation } from "../config.js";
import { type Check, type HealthServer, serveHealth } from "../health.js";
import { stopOnce, Teardown } from "../lifecycle.js";
import { retrainChildEnv, startRetrainProcess } from "../retrain/process.js";
import type { RetrainMessage, RetrainSummary } from "../retrain/run-reports.js";
import { openStore, type Store } from "../store/store.js";
import { type ActiveModelFollower, followActiveModel } from "../versions/active-model.js";
import { ModelVersions } from "../versions/model-versions.js";
import {
  type Channels,
  COMPOSE_QUEUE,
  type ComposeJobData,
  type ComposeJobReturn,
  channels,
  encodeResult,
  encodeUserFacing,
  RESULT_TTL_SECONDS,
  RETRAIN_QUEUE,
  type RetrainJobData,
  resultKey,
} from "./job-messages.js";
import { bullConnection, CONNECT_TIMEOUT_MS, connectedWithin, redisClient, redisHealth } from "./redis.js";

/**
 * One `npm run worker` process: takes jobs from the Redis queues (src/jobs/job-messages.ts).
 *
 * - compose and render jobs run on a compose pool in this process (COMPOSE_CONCURRENCY worker
 *   threads, BullMQ concurrency the same), so the main thread stays free to renew job locks;
 * - retraining jobs run `scripts/retrain.ts` as a child process (one at a time), relaying
 *   its messages with job.updateProgress; they use the store in DATA_DIR;
 * - the model: the active version named by DATA_DIR/models/active.json, which must be the
 *   same directory for every process (a shared mount). A message on `<prefix>:model` (sent
 *   by whoever changed the pointer) makes the worker re-read it and reload, each thread when
 *   idle; it also re-reads it every MODEL_POLL_SECONDS in case a shell ran `npm run retrain`.
 */
export interface JobWorkerOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Shown as the job's processedBy and in results. Default `host:pid`. */
  readonly name?: string;
}

export interface RunningJobWorker {
  readonly name: string;
  /** The compose pool, when this worker takes compose jobs. */
  readonly pool: ComposePool | undefined;
  /** /healthz and /readyz, when HEALTH_PORT is set. */
  readonly health: HealthServer | undefined;
  /** Stops taking jobs, cancels a retraining in progress, finishes the compositions running. */
  stop(): Promise<void>;
}

/** What /readyz looks at, filled in as the worker starts. */
interface Live {
  redis?: Redis;
  pool?: ComposePool;
  store?: Store;
  ready?: boolean;
  stopping?: boolean;
}

/** The retraining this worker runs, if any: the bot may cancel it by run id. */
interface RetrainingSlot {
  current?: { readonly runId: number; cancel(): void };
}

/** What the job handlers share. */
interface WorkerDeps {
  readonly cfg: Config;
  readonly log: Logger;
  readonly name: string;
  readonly prefix: string;
  readonly channel: Channels;
  readonly connection: ReturnType<typeof bullConnection>;
  /** Results are written here. */
  readonly redis: Redis;
  readonly follower: ActiveModelFollower | undefined;
  readonly retraining: RetrainingSlot;
}

export async function startJobWorker(options: JobWorkerOptions): Promise<RunningJobWorker> {
  const { config: cfg, log } = options;
  const url = cfg.redisUrl;
  if (!url) throw new Error("a job worker needs REDIS_URL");
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const takes = new Set(cfg.workerJobs);
  const teardown = new Teardown();
  const live: Live = {};
  try {
    const health = await serveHealth(
      cfg.healthPort,
      { host: cfg.healthHost, checks: readyChecks(takes, live) },
      log,
    );
    if (health) teardown.add(() => health.close());
    const { redis, subscriber } = await connectRedis(url, log, teardown);
    live.redis = redis;
    const composing = takes.has("compose") ? await startComposing(cfg, log, teardown) : undefined;
    live.pool = composing?.pool;
    const deps: WorkerDeps = {
      cfg,
      log,
      name,
      prefix: cfg.redisPrefix,
      channel: channels(cfg.redisPrefix),
      connection: bullConnection(url),
      redis,
      follower: composing?.follower,
      retraining: {},
    };
    await listenToTheBot(subscriber, deps);
    const workers: Worker[] = [];
    if (composing) workers.push(composeWorker(composing.pool, deps));
    if (takes.has("retrain")) {
      const store = openStore(cfg.dataDir);
      live.store = store;
      teardown.add(() => store.close());
      workers.push(retrainWorker(store, deps));
    }
    await workersReady(workers, log);
    live.ready = true;
    logReady(deps, url, [...takes], composing?.pool);
    const stop = stopOnce(async () => {
      live.stopping = true;
      log.info({ worker: name }, "stopping: finishing the jobs in progress");
      deps.retraining.current?.cancel();
      await Promise.all(workers.map((w) => w.close()));
      await teardown.run();
      log.info({ worker: name }, "stopped");
    });
    return { name, pool: composing?.pool, health, stop };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/** /readyz: a worker that takes no compose jobs loads no model; one that takes no retraining opens no store. */
function readyChecks(takes: ReadonlySet<string>, live: Live): Record<string, Check> {
  return {
    worker: () => (live.stopping ? "stopping" : live.ready ? undefined : "starting"),
    redis: () => (live.redis ? redisHealth(live.redis) : "not connected yet"),
    model: () =>
      !takes.has("compose")
        ? undefined
        : (live.pool?.readyWorkers ?? 0) > 0
          ? undefined
          : "no composer thread has the model loaded",
    store: () =>
      !takes.has("retrain") ? undefined : live.store ? live.store.checkWritable() : "not open yet",
  };
}

/** A client for results and one for the bot's broadcasts; said at once when Redis does not answer. */
async function connectRedis(
  url: string,
  log: Logger,
  teardown: Teardown,
): Promise<{ redis: Redis; subscriber: Redis }> {
  const redis = redisClient(url, (error) => log.warn({ err: error }, "Redis (results)"));
  teardown.add(() => redis.disconnect());
  const subscriber = redisClient(url, (error) => log.warn({ err: error }, "Redis (subscriber)"));
  teardown.add(() => subscriber.disconnect());
  // Said at once rather than waited for forever (ioredis would keep retrying).
  await connectedWithin(redis.ping(), CONNECT_TIMEOUT_MS, redisLocation(url));
  return { redis, subscriber };
}

/** A compose pool on the active model version, kept on it by a follower. */
async function startComposing(
  cfg: Config,
  log: Logger,
  teardown: Teardown,
): Promise<{ pool: ComposePool; follower: ActiveModelFollower }> {
  const versions = new ModelVersions({ dataDir: cfg.dataDir, baseModelDir: cfg.modelDir });
  const active = versions.activeVersion();
  if (active.fallbackReason) log.warn({ reason: active.fallbackReason }, "serving the shipped model instead");
  const pool = await ComposePool.start({
    size: cfg.composeConcurrency,
    modelDir: active.dir,
    modelVersion: active.id,
    backend: cfg.tfBackend,
  });
  teardown.add(() => pool.close());
  const follower = followActiveModel(versions, pool, {
    pollMs: cfg.modelPollSeconds * 1000,
    log: (level, fields, message) => log[level](fields, message),
  });
  teardown.add(() => follower.stop());
  await follower.sync();
  return { pool, follower };
}

/** The bot's broadcasts: the active model may have changed; a retraining is cancelled. */
async function listenToTheBot(subscriber: Redis, deps: WorkerDeps): Promise<void> {
  const { channel, log } = deps;
  subscriber.on("message", (from: string, text: string) => {
    if (from === channel.model) {
      log.debug({ message: text }, "the active model version may have changed");
      void deps.follower?.sync();
    } else if (from === channel.retrainCancel) {
      const runId = parseRunId(text);
      const running = deps.retraining.current;
      if (running && runId === running.runId) {
        log.info({ run: runId }, "retraining cancelled by the bot");
        running.cancel();
      }
    }
  });
  await subscriber.subscribe(channel.model, channel.retrainCancel);
}

/**
 * Compose and render jobs on the pool. The result goes to its own Redis key; a failure the
 * user caused is not retried and travels to the bot in the job's failedReason.
 */
function composeWorker(composer: ComposePool, deps: WorkerDeps): Worker {
  const { cfg, log, name, prefix, redis } = deps;
  return new Worker<ComposeJobData, ComposeJobReturn>(
    COMPOSE_QUEUE,
    async (job) => {
      const begun = Date.now();
      log.debug({ job: job.id, attempt: job.attemptsMade + 1, type: job.data.type }, "job started");
      let result: unknown;
      try {
        const data = job.data;
        result =
          data.type === "compose"
            ? await composer.submit(data.request, data.options).result
            : await composer.render(data.tune, data.options).result;
      } catch (error) {
        if (error instanceof ComposeFailedError && error.userFacing)
          throw new UnrecoverableError(
            encodeUserFacing({ message: error.message, ...(error.code ? { code: error.code } : {}) }),
          );
        log.warn({ err: error, job: job.id }, "job failed; it will be retried");
        throw error;
      }
      const bytes = encodeResult(result);
      const key = resultKey(prefix, job.id as string);
      await redis.set(key, bytes, "EX", RESULT_TTL_SECONDS);
      log.debug(
        { job: job.id, ms: Date.now() - begun, bytes: bytes.length, version: composer.model.version },
        "job done",
      );
      return { resultKey: key, bytes: bytes.length, worker: name };
    },
    {
      connection: deps.connection,
      prefix,
      name,
      concurrency: cfg.composeConcurrency,
      // A dead worker's job goes back to the queue once its lock lapses (checked as often).
      lockDuration: cfg.jobLockMs,
      stalledInterval: cfg.jobLockMs,
      maxStalledCount: 2,
    },
  );
}

/**
 * Retraining jobs, one at a time, each a `npm run retrain` child whose messages become the
 * job's progress; a promotion moves every worker (this one too) to the new version.
 */
function retrainWorker(store: Store, deps: WorkerDeps): Worker {
  const { cfg, log, name, prefix, redis, channel } = deps;
  return new Worker<RetrainJobData, RetrainSummary>(
    RETRAIN_QUEUE,
    async (job) => {
      const { runId } = job.data;
      log.info({ job: job.id, run: runId }, "retraining started");
      let progress: Promise<unknown> = Promise.resolve();
      const relay = (message: RetrainMessage) => {
        if (message.type === "result") return; // the job's return value
        progress = progress
          .then(() => job.updateProgress(message))
          .catch((error: unknown) => log.warn({ err: error, run: runId }, "could not relay progress"));
      };
      const run = startRetrainProcess({
        store,
        runId,
        requestedBy: job.data.requestedBy,
        ...(job.data.steps !== undefined ? { steps: job.data.steps } : {}),
        ...(job.data.learningRate !== undefined ? { learningRate: job.data.learningRate } : {}),
        env: retrainChildEnv(cfg),
        onMessage: relay,
      });
      deps.retraining.current = { runId, cancel: () => run.cancel() };
      try {
        const summary = await run.done;
        await progress;
        if (summary.promoted) {
          // Every worker (this one's pool too) moves to the new version.
          await redis.publish(channel.model, JSON.stringify({ version: summary.versionId }));
          await deps.follower?.sync();
        }
        log.info(
          { job: job.id, run: runId, status: summary.status, promoted: summary.promoted },
          "retraining finished",
        );
        return summary;
      } finally {
        deps.retraining.current = undefined;
      }
    },
    {
      connection: deps.connection,
      prefix,
      name,
      concurrency: 1,
      lockDuration: cfg.jobLockMs,
      stalledInterval: cfg.jobLockMs,
      // A retraining whose worker died is failed, not rerun: its run is already recorded as failed.
      maxStalledCount: 0,
    },
  );
}

/** Logs the workers' errors and failures; resolves once each is connected. */
async function workersReady(workers: readonly Worker[], log: Logger): Promise<void> {
  for (const worker of workers) {
    worker.on("error", (error) => log.warn({ err: error }, "job worker error"));
    worker.on("failed", (job: Job | undefined, error: Error) =>
      log.debug({ job: job?.id, reason: error.message }, "job failed"),
    );
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
}

function logReady(
  deps: WorkerDeps,
  url: string,
  jobs: readonly string[],
  pool: ComposePool | undefined,
): void {
  const { cfg } = deps;
  deps.log.info(
    {
      worker: deps.name,
      redis: redisLocation(url),
      prefix: deps.prefix,
      jobs,
      concurrency: cfg.composeConcurrency,
      model: pool?.model.name,
      version: pool?.model.version,
      backend: pool?.model.backend,
    },
    "worker ready",
  );
}

function parseRunId(text: string): number | undefined {
  try {
    const runId = (JSON.parse(text) as { runId?: unknown }).runId;
    return typeof runId === "number" ? runId : undefined;
  } catch {
    return undefined;
  }
}
