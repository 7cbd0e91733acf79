import type { ModelVersions } from "../model/versions.js";
import type { ModelInfo } from "./composer.js";
import type { ComposePool } from "./pool.js";

/**
 * Keeps a compose pool on the active model version. Promotions and rollbacks can come
 * from this process (/admin) or another (`npm run retrain` from a shell): both only move
 * the pointer file, and `sync` — called after our own changes and on a timer — moves
 * the pool to whatever it names. A version that fails to load leaves the pool as it is.
 */
export interface ActiveModelFollower {
  /** Reloads the pool if the active version is not the one it serves; resolves with what it serves. */
  sync(): Promise<ModelInfo>;
  stop(): void;
}

export interface FollowOptions {
  /** How often to look at the pointer (ms); 0 = only when sync() is called. */
  readonly pollMs: number;
  readonly log: (level: "info" | "warn", fields: Record<string, unknown>, message: string) => void;
}

export function followActiveModel(
  versions: ModelVersions,
  pool: Pick<ComposePool, "model" | "reload">,
  options: FollowOptions,
): ActiveModelFollower {
  let running: Promise<ModelInfo> | undefined;
  let again = false;

  const syncOnce = async (): Promise<ModelInfo> => {
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
  const sync = (): Promise<ModelInfo> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let model: ModelInfo;
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
