import { type ResourceLimits, Worker } from "node:worker_threads";
import type { Tune } from "../music/tune.js";
import type { ComposeOptions, ComposeResult, ModelInfo } from "./composer.js";
import type { WorkerMessage, WorkerRequest, WorkerSetup } from "./composer-thread.js";
import type { Renderings, RenderOptions } from "./renderings.js";
import type { ComposeRequest } from "./request.js";
import {
  ComposeBusyError,
  ComposeClosedError,
  ComposeFailedError,
  type ModelSource,
  type SerializedError,
} from "./service.js";

/**
 * Compositions run on worker threads so the bot's event loop never waits for the model:
 * `size` workers, each with the model loaded once, and a FIFO queue in front of them.
 * A caller learns its place in the queue at once, which is what a busy bot tells users.
 * `reload` swaps the model without a restart: each worker loads the new one when it is
 * idle, so a composition in flight finishes on the model it started with.
 */
export interface PoolOptions extends WorkerSetup {
  readonly size: number;
  /** Most requests waiting (not running); more are refused with ComposeBusyError. */
  readonly maxQueue?: number;
  /**
   * Heap limit of each worker (MB). A request that runs away with memory then ends its own
   * worker (ERR_WORKER_OUT_OF_MEMORY), which is replaced, instead of the whole bot.
   */
  readonly workerHeapMb?: number;
}

export interface Submitted<T = ComposeResult> {
  /** Requests ahead of this one that have not started (0 = starts now). */
  readonly position: number;
  readonly result: Promise<T>;
}

/** Requests that may wait for a worker when none is given (COMPOSE_MAX_QUEUE). */
export const DEFAULT_MAX_QUEUE = 50;

type Task =
  | { readonly type: "compose"; readonly request: ComposeRequest; readonly options: ComposeOptions }
  | { readonly type: "render"; readonly tune: Tune; readonly options: RenderOptions };

interface Job {
  readonly id: number;
  readonly task: Task;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Loaded and not busy loading another model. */
  ready: boolean;
  job: Job | undefined;
  /** The model this worker has (or is loading). */
  source: ModelSource;
}

interface PendingReload {
  readonly source: ModelSource;
  readonly resolve: (model: ModelInfo) => void;
  readonly reject: (e: Error) => void;
}

// Workers run the TypeScript sources through tsx, whichever way the parent was started and
// from whatever directory (an eval'd worker would otherwise resolve tsx from the cwd).
const TSX_API = import.meta.resolve("tsx/esm/api");
const WORKER_BOOT = `const { workerData } = require("node:worker_threads");
import(${JSON.stringify(TSX_API)}).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));`;

export class ComposePool {
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  /** The model every worker should have; new and replaced workers start with it. */
  private source: ModelSource;
  private current: ModelInfo;
  private pendingReload: PendingReload | undefined;
  private replacements = 0;

  private constructor(
    private readonly slots: Slot[],
    model: ModelInfo,
    private readonly options: PoolOptions,
  ) {
    this.source = options;
    this.current = model;
    for (const slot of slots) this.watch(slot);
  }

  /** Starts the workers and waits until every one has loaded the model. */
  static async start(options: PoolOptions): Promise<ComposePool> {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError("pool size must be at least 1");
    const slots: Slot[] = Array.from({ length: options.size }, () => ({
      worker: spawn(options, options),
      ready: true,
      job: undefined,
      source: options,
    }));
    try {
      const models = await Promise.all(slots.map((s) => waitReady(s.worker)));
      return new ComposePool(slots, models[0] as ModelInfo, options);
    } catch (e) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    }
  }

  /** The model new compositions use (after a reload: once every worker has it). */
  get model(): ModelInfo {
    return this.current;
  }

  /**
   * Moves every worker to another model and resolves with it once all have loaded it.
   * Idle workers switch at once, busy ones after their composition; a newer reload
   * supersedes an unfinished one (which then rejects).
   */
  reload(source: ModelSource): Promise<ModelInfo> {
    if (this.closing) return Promise.reject(new ComposeClosedError("the composer is shutting down"));
    this.pendingReload?.reject(new Error(`superseded by a reload of ${describe(source)}`));
    // A fresh object: workers compare sources by identity.
    this.source = { ...source };
    const done = new Promise<ModelInfo>((resolve, reject) => {
      this.pendingReload = { source: this.source, resolve, reject };
    });
    this.dispatch();
    return done;
  }

  get running(): number {
    return this.slots.filter((s) => s.job).length;
  }

  /** Workers with a model loaded, able to take work (busy or not): `size` unless one is starting. */
  get readyWorkers(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers that died (a crash, running out of memory) and were replaced. */
  get replaced(): number {
    return this.replacements;
  }

  get waiting(): number {
    return this.queue.length;
  }

  submit(request: ComposeRequest, options: ComposeOptions = {}): Submitted {
    return this.enqueue<ComposeResult>({ type: "compose", request, options });
  }

  /** Renders a tune that already exists (a submission to review), in the same queue. */
  render(tune: Tune, options: RenderOptions): Submitted<Renderings> {
    return this.enqueue<Renderings>({ type: "render", tune, options });
  }

  private enqueue<T>(task: Task): Submitted<T> {
    if (this.closing) throw new ComposeClosedError("the composer is shutting down");
    const free = this.slots.some((s) => s.ready && !s.job);
    if (!free && this.queue.length >= (this.options.maxQueue ?? DEFAULT_MAX_QUEUE))
      throw new ComposeBusyError(`${this.queue.length} tunes are already waiting; try again in a minute`);
    let job!: Job;
    const result = new Promise<T>((resolve, reject) => {
      job = { id: this.nextId++, task, resolve: resolve as (r: unknown) => void, reject };
    });
    const position = free ? 0 : this.queue.length + 1;
    this.queue.push(job);
    this.dispatch();
    return { position, result };
  }

  /** Stops taking work, lets running jobs finish, refuses queued ones, stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0))
      job.reject(new ComposeClosedError("the composer is shutting down"));
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const stop = () => void slot.worker.terminate().then(() => resolve());
            if (!slot.job) stop();
            else {
              slot.worker.once("message", () => setImmediate(stop));
              // A worker that dies on its last job sends nothing more.
              slot.worker.once("exit", () => resolve());
            }
          }),
      ),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || !slot.ready) continue;
      if (slot.source !== this.source) {
        this.switchModel(slot);
        continue;
      }
      const job = this.queue.shift();
      if (!job) continue;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, ...job.task } satisfies WorkerRequest);
    }
  }

  private switchModel(slot: Slot): void {
    const previous = slot.source;
    const source = this.source;
    slot.ready = false;
    slot.source = source;
    const worker = slot.worker;
    const onMessage = (m: WorkerMessage) => {
      if (m.type !== "reloaded" && m.type !== "reload-failed") return;
      worker.off("message", onMessage);
      slot.ready = true;
      if (m.type === "reloaded") {
        this.settleReload(m.model);
      } else {
        slot.source = previous;
        const pending = this.pendingReload;
        if (pending?.source === source) {
          // Back to the model this worker still has; the others follow, and callers keep being served.
          this.pendingReload = undefined;
          this.source = previous;
          pending.reject(new Error(`could not load ${describe(source)}: ${m.message}`));
        }
      }
      this.dispatch();
    };
    worker.on("message", onMessage);
    worker.postMessage({ type: "reload", ...source } satisfies WorkerRequest);
  }

  /** Resolves the pending reload once every worker is ready with its model. */
  private settleReload(model: ModelInfo): void {
    const pending = this.pendingReload;
    if (!pending || !this.slots.every((s) => s.source === pending.source && s.ready)) return;
    this.current = model;
    this.pendingReload = undefined;
    pending.resolve(model);
  }

  private watch(slot: Slot): void {
    const worker = slot.worker;
    let crash: Error | undefined;
    worker.on("error", (e) => {
      crash = e;
    });
    worker.on("message", (message: WorkerMessage) => {
      const job = slot.job;
      if (!job || (message.type !== "result" && message.type !== "error") || message.id !== job.id) return;
      slot.job = undefined;
      if (message.type === "result") job.resolve(message.result);
      else job.reject(toError(message.error));
      this.dispatch();
    });
    worker.once("exit", () => {
      slot.job?.reject(crashError(crash));
      slot.job = undefined;
      if (this.closing) return;
      // Replace the lost worker; its slot takes work again once the model is loaded.
      slot.ready = false;
      slot.source = this.source;
      slot.worker = spawn(this.options, this.source);
      this.replacements++;
      this.watch(slot);
      waitReady(slot.worker).then(
        (model) => {
          slot.ready = true;
          this.settleReload(model);
          this.dispatch();
        },
        () => {
          // It cannot even start (the model went missing?): fail the waiting jobs rather than hang them.
          if (this.slots.some((s) => s.ready)) return;
          for (const job of this.queue.splice(0))
            job.reject(
              new ComposeFailedError("the composer cannot start; see the bot's log", undefined, false),
            );
        },
      );
    });
  }
}

function spawn(options: PoolOptions, source: ModelSource): Worker {
  const entry = new URL("./composer-thread.ts", import.meta.url).href;
  const setup: WorkerSetup = { ...source, backend: options.backend };
  const resourceLimits: ResourceLimits | undefined = options.workerHeapMb
    ? { maxOldGenerationSizeMb: options.workerHeapMb }
    : undefined;
  return new Worker(WORKER_BOOT, {
    eval: true,
    workerData: { entry, ...setup },
    ...(resourceLimits ? { resourceLimits } : {}),
  });
}

function describe(source: ModelSource): string {
  return source.modelVersion ? `model version ${source.modelVersion}` : source.modelDir;
}

/** What the job a worker died with is told; running out of memory is the request's doing. */
function crashError(crash: Error | undefined): ComposeFailedError {
  if ((crash as NodeJS.ErrnoException | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY")
    return new ComposeFailedError(
      "it needed more memory than one tune may use. Try a shorter seed or fewer bars",
      "out-of-memory",
      true,
    );
  return new ComposeFailedError(
    `the composer stopped unexpectedly (${crash?.message ?? "exited"})`,
    undefined,
    false,
  );
}

function toError(e: SerializedError): ComposeFailedError {
  return new ComposeFailedError(e.message, e.code, e.userFacing);
}

function waitReady(worker: Worker): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type === "ready") resolve(m.model);
      else if (m.type === "failed-to-start")
        reject(new Error(`a composer worker could not start: ${m.message}`));
      else return;
      worker.off("message", onMessage);
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new Error(`a composer worker exited (code ${code}) before it was ready`)),
    );
  });
}
