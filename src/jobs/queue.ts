import type { ComposeOptions, ComposeResult, ModelInfo } from "../compose/composer.js";
import type { Renderings, RenderOptions } from "../compose/renderings.js";
import type { ComposeRequest } from "../compose/request.js";
import type { ModelSource } from "../compose/service.js";
import type { Tune } from "../music/tune.js";
import type { RetrainProcessOptions } from "../retrain/process.js";
import type { RetrainSummary } from "../retrain/run-reports.js";
import type { Store } from "../store/store.js";

/**
 * Where the bot's work runs. Two implementations of one seam:
 *
 * - `LocalJobQueue` (local.ts, the default): the compose pool's worker threads in the bot's
 *   own process and a retraining child process, as Tunesmith has always run.
 * - `RedisJobQueue` (bullmq.ts, when REDIS_URL is set): BullMQ queues on Redis, served by
 *   `npm run worker` processes on any number of machines (scripts/job-worker.ts, redis-worker.ts here).
 *
 * Handlers see only this interface (through BotContext.jobs), so they do not know which.
 */
export interface JobQueue {
  readonly kind: "local" | "redis";
  /** The model new compositions use (the workers report the version that made each tune). */
  readonly model: ModelInfo;
  /** Compositions running now (all workers, for Redis: as last counted). */
  readonly running: number;
  /** Compositions waiting for a free composer (as last counted). */
  readonly waiting: number;
  submit(request: ComposeRequest, options?: SubmitOptions): Queued<ComposeResult>;
  /** Renders an existing tune (a submission to review), in the same queue. */
  render(tune: Tune, options: RenderOptions): Queued<Renderings>;
  /** Moves the composers to another model version (see versions/active-model.ts). */
  reload(source: ModelSource): Promise<ModelInfo>;
  /**
   * Starts a retraining run (at most one at a time; throws RetrainBusyError otherwise).
   * The run is recorded in `options.store` at once, so its id is known before it starts.
   */
  startRetrain(options: RetrainStart): RetrainRun;
  /** Stops taking work, lets running jobs finish, refuses waiting ones. */
  close(): Promise<void>;
  /** For /readyz: undefined when the model is loaded and the queue reachable, else why not. */
  health(): Promise<QueueHealth>;
  /**
   * At the bot's start: marks failed the retraining runs that will never finish (their
   * process died with the last bot, or their job was lost), each with why.
   */
  failInterruptedRuns(store: Store): Promise<InterruptedRun[]>;
}

export interface InterruptedRun {
  readonly id: number;
  readonly reason: string;
}

export interface QueueHealth {
  readonly model: string | undefined;
  readonly queue: string | undefined;
}

export interface SubmitOptions extends ComposeOptions {
  /**
   * Makes the job idempotent: one job per key (the interaction id), however often it is
   * submitted (a retry after a gateway hiccup, a redelivered interaction).
   */
  readonly key?: string;
}

export interface Queued<T> {
  /**
   * Jobs ahead of this one that have not started (0 = starts now). Known at once locally;
   * with Redis, once the queue has been looked at.
   */
  readonly position: Promise<number>;
  readonly result: Promise<T>;
}

export type RetrainStart = Pick<
  RetrainProcessOptions,
  "store" | "requestedBy" | "steps" | "learningRate" | "env" | "onMessage"
>;

export interface RetrainRun {
  readonly runId: number;
  /** The run's summary once it has ended, a failure included. */
  readonly done: Promise<RetrainSummary>;
  /** Asks the run to stop: it records itself as cancelled and activates nothing. */
  cancel(): void;
}
