import type { ModelVersions } from "./model-versions.js";

/** A model being served, as far as following the pointer goes: which version it is. */
export interface ServedModel {
  readonly version: string;
}

/**
 * What composes with one model version at a time and can be moved to another: a worker's
 * compose pool, or the bot's job queue (which moves its pool or tells its workers).
 */
export interface ModelServer {
  readonly model: ServedModel;
  reload(source: { readonly modelDir: string; readonly modelVersion: string }): Promise<ServedModel>;
}

/**
 * Keeps a model server (a compose pool, a job queue) on the active model version. Promotions and rollbacks can come
 * from this process (/admin) or another (`npm run retrain` from a shell): both only move
 * the pointer file, and `sync` — called after our own changes and on a timer — moves
 * the pool to whatever it names. A version that fails to load leaves the pool as it is.
 */
export interface ActiveModelFollower {
  /** Reloads the server if the active version is not the one it serves; resolves with what it serves. */
  sync(): Promise<ServedModel>;
  stop(): void;
}

export interface FollowOptions {
  /** How often to look at the pointer (ms); 0 = only when sync() is called. */
  readonly pollMs: number;
  readonly log: (level: "info" | "warn", fields: Record<string, unknown>, message: string) => void;
}

export function followActiveModel(
  versions: ModelVersions,
  pool: ModelServer,
  options: FollowOptions,
): ActiveModelFollower {
  let running: Promise<ServedModel> | undefined;
  let again = false;

  const syncOnce = async (): Promise<ServedModel> => {
    const active = versions.activeVersion();
    if (active.fallbackReason)
      options.log("warn", { reason: active.fallbackReason }, "serving the shipped model instead");
    if (pool.model.version === active.id) return pool.model;
    const from = pool.model.version;
    try {
      const model = await pool.reload({ modelDir: active.dir, modelVersion: active.id });
      options.log("info", { from, to: model.version }, "now composing with another model version");
      return model;
    } catch (error) {
      options.log("warn", { err: error, version: active.id }, "could not switch model versions");
      return pool.model;
    }
  };

  // One sync at a time; a call during one runs once more after it (the pointer may have moved).
  const sync = (): Promise<ServedModel> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let model: ServedModel;
      do {
        again = false;
        model = await syncOnce();
      } while (again);
      return model;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let lastStamp = versions.pointerStamp();
  const timer =
    options.pollMs > 0
      ? setInterval(() => {
          const stamp = versions.pointerStamp();
          if (stamp === lastStamp) return;
          lastStamp = stamp;
          void sync();
        }, options.pollMs)
      : undefined;
  timer?.unref();

  return {
    sync,
    stop: () => clearInterval(timer),
  };
}
