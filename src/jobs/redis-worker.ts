import { hostname } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ComposePool } from "../compose/pool.js";
import { ComposeFailedError } from "../compose/service.js";
import { type Config, redisLocation } from "../config.js";
import { type HealthServer, startHealthServer } from "../health.js";
import { retrainChildEnv, startRetrainProcess } from "../retrain/process.js";
import type { RetrainMessage, RetrainSummary } from "../retrain/run-reports.js";
import { openStore, type Store } from "../store/store.js";
import { type ActiveModelFollower, followActiveModel } from "../versions/active-model.js";
import { ModelVersions } from "../versions/model-versions.js";
import {
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

export async function startJobWorker(options: JobWorkerOptions): Promise<RunningJobWorker> {
  const { config: cfg, log } = options;
  const url = cfg.redisUrl;
  if (!url) throw new Error("a job worker needs REDIS_URL");
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const prefix = cfg.redisPrefix;
  const channel = channels(prefix);
  const connection = bullConnection(url);
  const takes = new Set(cfg.workerJobs);

  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  // What /readyz looks at, filled in as the worker starts.
  const live: { redis?: Redis; pool?: ComposePool; store?: Store; ready?: boolean; stopping?: boolean } = {};
  try {
    let health: HealthServer | undefined;
    if (cfg.healthPort !== undefined) {
      const server = await startHealthServer({
        port: cfg.healthPort,
        host: cfg.healthHost,
        checks: {
          worker: () => (live.stopping ? "stopping" : live.ready ? undefined : "starting"),
          redis: () => (live.redis ? redisHealth(live.redis) : "not connected yet"),
          // A worker that takes no compose jobs loads no model; one that takes no retraining opens no store.
          model: () =>
            !takes.has("compose")
              ? undefined
              : (live.pool?.readyWorkers ?? 0) > 0
                ? undefined
                : "no composer thread has the model loaded",
          store: () =>
            !takes.has("retrain") ? undefined : live.store ? live.store.checkWritable() : "not open yet",
        },
      });
      health = server;
      cleanup.push(() => server.close());
      log.info({ port: server.port, host: cfg.healthHost }, "health checks served at /healthz and /readyz");
    }
    const redis = redisClient(url, (error) => log.warn({ err: error }, "Redis (results)"));
    live.redis = redis;
    cleanup.push(() => redis.disconnect());
    const subscriber = redisClient(url, (error) => log.warn({ err: error }, "Redis (subscriber)"));
    cleanup.push(() => subscriber.disconnect());
    // Said at once rather than waited for forever (ioredis would keep retrying).
    await connectedWithin(redis.ping(), CONNECT_TIMEOUT_MS, redisLocation(url));

    const versions = new ModelVersions({ dataDir: cfg.dataDir, baseModelDir: cfg.modelDir });
    let pool: ComposePool | undefined;
    let follower: ActiveModelFollower | undefined;
    if (takes.has("compose")) {
      const active = versions.activeVersion();
      if (active.fallbackReason)
        log.warn({ reason: active.fallbackReason }, "serving the shipped model instead");
      const started = await ComposePool.start({
        size: cfg.composeConcurrency,
        modelDir: active.dir,
        modelVersion: active.id,
        backend: cfg.tfBackend,
      });
      pool = started;
      live.pool = started;
      cleanup.push(() => started.close());
      follower = followActiveModel(versions, started, {
        pollMs: cfg.modelPollSeconds * 1000,
        log: (level, fields, message) => log[level](fields, message),
      });
      const following = follower;
      cleanup.push(() => following.stop());
      await follower.sync();
    }

    let retraining: { runId: number; cancel(): void } | undefined;
    subscriber.on("message", (from: string, text: string) => {
      if (from === channel.model) {
        log.debug({ message: text }, "the active model version may have changed");
        void follower?.sync();
      } else if (from === channel.retrainCancel) {
        const runId = parseRunId(text);
        if (retraining && runId === retraining.runId) {
          log.info({ run: runId }, "retraining cancelled by the bot");
          retraining.cancel();
        }
      }
    });
    await subscriber.subscribe(channel.model, channel.retrainCancel);

    const workers: Worker[] = [];
    if (pool) {
      const composer = pool;
      const worker = new Worker<ComposeJobData, ComposeJobReturn>(
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
          connection,
          prefix,
          name,
          concurrency: cfg.composeConcurrency,
          // A dead worker's job goes back to the queue once its lock lapses (checked as often).
          lockDuration: cfg.jobLockMs,
          stalledInterval: cfg.jobLockMs,
          maxStalledCount: 2,
        },
      );
      workers.push(worker);
    }

    if (takes.has("retrain")) {
      const store: Store = openStore(cfg.dataDir);
      live.store = store;
      cleanup.push(() => store.close());
      const worker = new Worker<RetrainJobData, RetrainSummary>(
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
          retraining = { runId, cancel: () => run.cancel() };
          try {
            const summary = await run.done;
            await progress;
            if (summary.promoted) {
              // Every worker (this one's pool too) moves to the new version.
              await redis.publish(channel.model, JSON.stringify({ version: summary.versionId }));
              await follower?.sync();
            }
            log.info(
              { job: job.id, run: runId, status: summary.status, promoted: summary.promoted },
              "retraining finished",
            );
            return summary;
          } finally {
            retraining = undefined;
          }
        },
        {
          connection,
          prefix,
          name,
          concurrency: 1,
          lockDuration: cfg.jobLockMs,
          stalledInterval: cfg.jobLockMs,
          // A retraining whose worker died is failed, not rerun: its run is already recorded as failed.
          maxStalledCount: 0,
        },
      );
      workers.push(worker);
    }
    for (const worker of workers) {
      worker.on("error", (error) => log.warn({ err: error }, "job worker error"));
      worker.on("failed", (job: Job | undefined, error: Error) =>
        log.debug({ job: job?.id, reason: error.message }, "job failed"),
      );
    }
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    live.ready = true;
    log.info(
      {
        worker: name,
        redis: redisLocation(url),
        prefix,
        jobs: [...takes],
        concurrency: cfg.composeConcurrency,
        model: pool?.model.name,
        version: pool?.model.version,
        backend: pool?.model.backend,
      },
      "worker ready",
    );

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        live.stopping = true;
        log.info({ worker: name }, "stopping: finishing the jobs in progress");
        retraining?.cancel();
        await Promise.all(workers.map((w) => w.close()));
        await undo();
        log.info({ worker: name }, "stopped");
      })();
      return stopping;
    };
    return { name, pool, health, stop };
  } catch (error) {
    await undo();
    throw error;
  }
}

function parseRunId(text: string): number | undefined {
  try {
    const runId = (JSON.parse(text) as { runId?: unknown }).runId;
    return typeof runId === "number" ? runId : undefined;
  } catch {
    return undefined;
  }
}
