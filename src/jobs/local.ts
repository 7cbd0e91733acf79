import type { ComposeResult, ModelInfo } from "../compose/composer.js";
import type { ComposePool, Submitted } from "../compose/pool.js";
import type { Renderings, RenderOptions } from "../compose/renderings.js";
import type { ComposeRequest } from "../compose/request.js";
import type { ModelSource } from "../compose/service.js";
import type { Tune } from "../music/tune.js";
import { startRetrainProcess } from "../retrain/process.js";
import type { Store } from "../store/store.js";
import type {
  InterruptedRun,
  JobQueue,
  Queued,
  QueueHealth,
  RetrainRun,
  RetrainStart,
  SubmitOptions,
} from "./queue.js";

/**
 * The embedded default: the bot's own compose pool (worker threads) and a retraining child
 * process, exactly as without a job queue. No external service.
 */
export class LocalJobQueue implements JobQueue {
  readonly kind = "local";
  private closed = false;

  constructor(
    readonly pool: ComposePool,
    /** Whether close() closes the pool (false when the caller lent it). */
    private readonly ownsPool: boolean,
  ) {}

  get model(): ModelInfo {
    return this.pool.model;
  }

  get running(): number {
    return this.pool.running;
  }

  get waiting(): number {
    return this.pool.waiting;
  }

  /** This process starts every run: any run not finished when the last bot stopped never will. */
  async failInterruptedRuns(store: Store): Promise<InterruptedRun[]> {
    return store
      .failStaleRuns({ queued: true })
      .map((run) => ({ id: run.id, reason: "a retraining run from before the restart was marked failed" }));
  }

  async health(): Promise<QueueHealth> {
    const ready = this.pool.readyWorkers;
    return {
      model: ready > 0 ? undefined : "no composer thread has the model loaded",
      queue: this.closed ? "closed: the bot is stopping" : undefined,
    };
  }

  submit(request: ComposeRequest, options: SubmitOptions = {}): Queued<ComposeResult> {
    // The key only matters to a shared queue: here a request can only be submitted by its own interaction.
    const { key: _key, ...composeOptions } = options;
    return queued(() => this.pool.submit(request, composeOptions));
  }

  render(tune: Tune, options: RenderOptions): Queued<Renderings> {
    return queued(() => this.pool.render(tune, options));
  }

  reload(source: ModelSource): Promise<ModelInfo> {
    return this.pool.reload(source);
  }

  startRetrain(options: RetrainStart): RetrainRun {
    return startRetrainProcess(options);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsPool) await this.pool.close();
  }
}

/** The pool's answer as promises; a refusal (busy, closing) is thrown at once, as the pool does. */
function queued<T>(submit: () => Submitted<T>): Queued<T> {
  const submitted = submit();
  return { position: Promise.resolve(submitted.position), result: submitted.result };
}
