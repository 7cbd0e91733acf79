import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ComposeResult, ModelInfo } from "../compose/composer.js";
import type { Renderings, RenderOptions } from "../compose/renderings.js";
import type { ComposeRequest } from "../compose/request.js";
import type { ModelSource } from "../compose/service.js";
import { ComposeBusyError, ComposeClosedError, ComposeFailedError } from "../compose/service.js";
import { redisLocation } from "../config.js";
import type { Tune } from "../music/tune.js";
import { RetrainBusyError, recordFailure } from "../retrain/process.js";
import { isRetrainMessage, type RetrainSummary } from "../retrain/run-reports.js";
import type { Store } from "../store/store.js";
import {
  COMPOSE_QUEUE,
  type ComposeJobData,
  type ComposeJobReturn,
  channels,
  decodeResult,
  decodeUserFacing,
  jobIdFor,
  RETRAIN_QUEUE,
  type RetrainJobData,
} from "./job-messages.js";
import type {
  InterruptedRun,
  JobQueue,
  Queued,
  QueueHealth,
  RetrainRun,
  RetrainStart,
  SubmitOptions,
} from "./queue.js";
import {
  bullConnection,
  CONNECT_TIMEOUT_MS,
  connectedWithin,
  describeModel,
  redisClient,
  redisHealth,
} from "./redis.js";

/**
 * The bot's side of the Redis job queue (REDIS_URL): compose, render and retraining jobs
 * go to BullMQ queues and `npm run worker` processes do them (src/jobs/redis-worker.ts). The
 * bot waits for each job through QueueEvents, fetches its result from Redis, and relays
 * a retraining's progress (job.updateProgress) to Discord.
 *
 * - Jobs survive a worker's death: a worker holds a lock on each job it runs and renews
 *   it; when the lock lapses (JOB_LOCK_MS) another worker's stalled-job check puts the job
 *   back in the queue. Other failures are retried `attempts` times with a backoff; a
 *   failure the user caused (a seed the model cannot continue) is not retried.
 * - A composition is one job per interaction (job id `compose-<interaction id>`), so a
 *   request submitted twice is composed once.
 * - The queue position is approximate: the waiting jobs ahead, looked at once the job had
 *   a moment (QUEUE_GRACE_MS) to be taken by a free worker.
 */
export interface RedisJobQueueOptions {
  readonly url: string;
  /** REDIS_PREFIX: BullMQ's key prefix and the pub/sub channels' prefix. */
  readonly prefix: string;
  /** The active model version when the bot starts (what `model` reports until a reload). */
  readonly source: ModelSource;
  readonly log: Logger;
  /** Most jobs waiting in the queue; more are refused with ComposeBusyError. Default 500. */
  readonly maxWaiting?: number;
  /** Tries of a compose job that fails (not counting stalls). Default 3. */
  readonly attempts?: number;
  /** How long to wait for Redis at the start. Default CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
}

/** How long a new job may take to be picked up by an idle worker before it counts as queued. */
const QUEUE_GRACE_MS = 250;
/** How long close() waits for this bot's running jobs. */
const CLOSE_WAIT_MS = 60_000;
/** Compositions kept in Redis after they finish (for idempotency), by age and number. */
const KEEP_COMPLETED = { age: 15 * 60, count: 2000 };
const KEEP_FAILED = { age: 24 * 60 * 60, count: 2000 };

interface InFlight {
  readonly job: Job;
  readonly reject: (error: Error) => void;
}

export class RedisJobQueue implements JobQueue {
  readonly kind = "redis";
  private current: ModelInfo;
  private counts = { active: 0, wait: 0 };
  private closing = false;
  private readonly inFlight = new Map<string, InFlight>();
  /** Submissions waiting to hear that their job started (see positionOf). */
  private readonly activeWaiters = new Map<string, () => void>();
  private readonly channels;

  private constructor(
    private readonly options: RedisJobQueueOptions,
    private readonly redis: Redis,
    private readonly compose: Queue,
    private readonly events: QueueEvents,
    private readonly retrain: Queue,
    private readonly retrainEvents: QueueEvents,
  ) {
    this.current = describeModel(options.source, "redis workers");
    this.channels = channels(options.prefix);
    events.on("active", ({ jobId }) => this.activeWaiters.get(jobId)?.());
  }

  static async connect(options: RedisJobQueueOptions): Promise<RedisJobQueue> {
    const { log, prefix } = options;
    const connection = bullConnection(options.url);
    const onError = (what: string) => (error: Error) => log.warn({ err: error }, `Redis (${what})`);
    const redis = redisClient(options.url, onError("results"));
    const compose = new Queue(COMPOSE_QUEUE, { connection, prefix });
    const events = new QueueEvents(COMPOSE_QUEUE, { connection, prefix });
    const retrain = new Queue(RETRAIN_QUEUE, { connection, prefix });
    const retrainEvents = new QueueEvents(RETRAIN_QUEUE, { connection, prefix });
    // Every concurrent call waits on the connection with a listener of its own: 50 users at once are normal.
    for (const emitter of [compose, events, retrain, retrainEvents]) emitter.setMaxListeners(0);
    compose.on("error", onError("compose queue"));
    events.on("error", onError("compose events"));
    retrain.on("error", onError("retrain queue"));
    retrainEvents.on("error", onError("retrain events"));
    try {
      await connectedWithin(
        Promise.all([
          redis.ping(),
          compose.waitUntilReady(),
          events.waitUntilReady(),
          retrain.waitUntilReady(),
          retrainEvents.waitUntilReady(),
        ]),
        options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        redisLocation(options.url),
      );
    } catch (error) {
      redis.disconnect();
      // close(), not disconnect(): BullMQ's disconnect waits for a connection that never came.
      await Promise.race([
        Promise.allSettled([compose, events, retrain, retrainEvents].map((c) => c.close())),
        sleep(500),
      ]);
      throw error;
    }
    return new RedisJobQueue(options, redis, compose, events, retrain, retrainEvents);
  }

  get model(): ModelInfo {
    return this.current;
  }

  get running(): number {
    return this.counts.active;
  }

  get waiting(): number {
    return this.counts.wait;
  }

  submit(request: ComposeRequest, options: SubmitOptions = {}): Queued<ComposeResult> {
    const { audio, score, timeLimitMs } = options;
    const data: ComposeJobData = {
      type: "compose",
      request,
      options: {
        ...(audio !== undefined ? { audio } : {}),
        ...(score !== undefined ? { score } : {}),
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
      },
    };
    return this.enqueue<ComposeResult>(data, jobIdFor("compose", options.key ?? randomUUID()));
  }

  render(tune: Tune, options: RenderOptions): Queued<Renderings> {
    return this.enqueue<Renderings>({ type: "render", tune, options }, jobIdFor("render", randomUUID()));
  }

  /**
   * Tells every worker to look at the active-version pointer (they reload when idle) and
   * reports the version from now on; tunes report the version that actually made them.
   */
  async reload(source: ModelSource): Promise<ModelInfo> {
    await this.redis.publish(this.channels.model, JSON.stringify({ version: source.modelVersion ?? null }));
    this.current = describeModel(source, "redis workers");
    return this.current;
  }

  /**
   * Records the run (queued) in the bot's store and queues a job for it; a worker with
   * WORKER_JOBS including `retrain` takes the run over. `options.env` is not used: the
   * worker runs it with its own settings (RETRAIN_*, CORPUS_DIR, TF_BACKEND).
   */
  startRetrain(options: RetrainStart): RetrainRun {
    const { store } = options;
    store.failStaleRuns();
    const busy = store.activeRun();
    if (busy)
      throw new RetrainBusyError(
        `retraining run #${busy.id} is already ${busy.status} (requested by ${busy.requestedBy ?? "someone"})`,
      );
    const parameters = {
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
      dryRun: false,
    };
    const run = store.createRun({ requestedBy: options.requestedBy ?? null, parameters });
    const data: RetrainJobData = {
      runId: run.id,
      requestedBy: options.requestedBy ?? null,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    };
    const jobId = `retrain-${run.id}`;
    const onProgress = ({ jobId: id, data: message }: { jobId: string; data: unknown }) => {
      if (id === jobId && isRetrainMessage(message)) options.onMessage?.(message);
    };
    this.retrainEvents.on("progress", onProgress);
    let abandon!: (why: string) => void;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = (why) => reject(new Error(why));
    });
    const done = (async (): Promise<RetrainSummary> => {
      try {
        // One try: a retraining that died with its worker is reported, not silently rerun.
        const job = await this.retrain.add("retrain", data, {
          jobId,
          attempts: 1,
          removeOnComplete: KEEP_FAILED,
          removeOnFail: KEEP_FAILED,
        });
        return (await Promise.race([job.waitUntilFinished(this.retrainEvents), abandoned])) as RetrainSummary;
      } catch (error) {
        return recordFailure(store, run.id, `the retraining job failed: ${(error as Error).message}`);
      } finally {
        this.retrainEvents.off("progress", onProgress);
      }
    })();
    return {
      runId: run.id,
      done,
      cancel: () => {
        void (async () => {
          // Not started yet: take it out of the queue. Started: its worker stops it.
          const removed = await this.retrain.remove(jobId).catch(() => 0);
          if (removed === 1) {
            abandon("cancelled before a worker took it");
            return;
          }
          await this.redis.publish(this.channels.retrainCancel, JSON.stringify({ runId: run.id }));
        })().catch((error: unknown) =>
          this.options.log.warn({ err: error, run: run.id }, "could not cancel the retraining"),
        );
      },
    };
  }

  /**
   * A running run whose worker died is failed; a queued run waits for a worker, unless the
   * store says it is queued but its job is not in Redis (Redis was emptied, or the bot died
   * between the two): that one will never start.
   */
  async failInterruptedRuns(store: Store): Promise<InterruptedRun[]> {
    const failed: InterruptedRun[] = store
      .failStaleRuns({ queued: false })
      .map((run) => ({ id: run.id, reason: "a retraining run from before the restart was marked failed" }));
    for (const run of store.latestRuns(50)) {
      if (run.status !== "queued") continue;
      const job = await this.retrain.getJob(`retrain-${run.id}`);
      if (job) continue;
      recordFailure(store, run.id, "its job is not in the queue (lost while the bot was down)");
      failed.push({ id: run.id, reason: "a queued retraining run whose job was lost was marked failed" });
    }
    return failed;
  }

  async health(): Promise<QueueHealth> {
    // The workers load the model; the bot only needs the queue to reach them.
    return {
      model: undefined,
      queue: this.closing ? "closed: the bot is stopping" : await redisHealth(this.redis),
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Waiting jobs of ours are withdrawn (their users are told), running ones are waited for.
    await Promise.all(
      [...this.inFlight.values()].map(async ({ job, reject }) => {
        const removed = await this.compose.remove(job.id as string).catch(() => 0);
        if (removed === 1) reject(new ComposeClosedError("the composer is shutting down"));
      }),
    );
    const running = Promise.allSettled(
      [...this.inFlight.values()].map(({ job }) => job.waitUntilFinished(this.events) as Promise<unknown>),
    );
    // No worker may be left to finish them: give up after a while rather than hang the shutdown.
    const finished = await Promise.race([running.then(() => true), sleep(CLOSE_WAIT_MS).then(() => false)]);
    if (!finished)
      for (const { reject } of this.inFlight.values())
        reject(new ComposeClosedError("the composer is shutting down"));
    // Let the callers fetch their results before the connection goes.
    while (this.inFlight.size > 0) await sleep(10);
    await Promise.allSettled([
      this.events.close(),
      this.compose.close(),
      this.retrainEvents.close(),
      this.retrain.close(),
    ]);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private enqueue<T>(data: ComposeJobData, jobId: string): Queued<T> {
    if (this.closing) throw new ComposeClosedError("the composer is shutting down");
    let rejectLocal!: (error: Error) => void;
    const cancelled = new Promise<never>((_, reject) => {
      rejectLocal = reject;
    });
    const added = (async () => {
      const waiting = await this.compose.getWaitingCount();
      const limit = this.options.maxWaiting ?? 500;
      if (waiting >= limit)
        throw new ComposeBusyError(`${waiting} tunes are already waiting; try again in a minute`);
      return this.compose.add(data.type, data, {
        jobId,
        attempts: this.options.attempts ?? 3,
        backoff: { type: "exponential", delay: 500 },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      });
    })();
    const result = added.then(async (job) => {
      this.inFlight.set(jobId, { job, reject: rejectLocal });
      try {
        return await Promise.race([this.finished<T>(job), cancelled]);
      } finally {
        this.inFlight.delete(jobId);
      }
    });
    const position = added.then((job) => this.positionOf(job.id as string));
    // Callers may stop listening to one of the two (a refusal rejects both).
    result.catch(() => {});
    position.catch(() => {});
    return { position, result };
  }

  private async finished<T>(job: Job): Promise<T> {
    let value: ComposeJobReturn;
    try {
      value = (await job.waitUntilFinished(this.events)) as ComposeJobReturn;
    } catch (error) {
      const reason = (error as Error).message;
      const failure = decodeUserFacing(reason);
      if (failure) throw new ComposeFailedError(failure.message, failure.code, true);
      throw new ComposeFailedError(`the composer failed: ${reason}`, undefined, false);
    }
    const bytes = await this.redis.getBuffer(value.resultKey);
    if (!bytes)
      throw new ComposeFailedError(`the result of job ${job.id} has expired from Redis`, undefined, false);
    return decodeResult<T>(bytes);
  }

  private async positionOf(jobId: string): Promise<number> {
    // A job that started before we listened is simply no longer in the wait list below.
    const started = new Promise<void>((resolve) => this.activeWaiters.set(jobId, resolve));
    await Promise.race([started, sleep(QUEUE_GRACE_MS)]);
    this.activeWaiters.delete(jobId);
    const [waiting, counts] = await Promise.all([
      this.compose.getRanges(["wait"], 0, -1, true),
      this.compose.getJobCounts("active", "wait"),
    ]);
    this.counts = { active: counts.active ?? 0, wait: counts.wait ?? 0 };
    const index = waiting.indexOf(jobId);
    return index < 0 ? 0 : index + 1;
  }
}
