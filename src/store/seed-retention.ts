import type { Store } from "./store.js";

/**
 * Seeds are kept only as long as the buttons under their tunes may need them
 * (SEED_RETENTION_DAYS): a prune at start and then every hour deletes older ones. A button
 * on a tune whose seed is gone says so and asks for the file again.
 */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SeedPruning {
  /** Prunes now; returns how many seeds were deleted. */
  pruneNow(): number;
  stop(): void;
}

export function startSeedPruning(options: {
  readonly store: Pick<Store, "pruneSeeds">;
  readonly retentionDays: number;
  readonly onPruned?: (deleted: number, cutoff: Date) => void;
  readonly onError?: (error: unknown) => void;
  readonly everyMs?: number;
}): SeedPruning {
  const pruneNow = () => {
    const cutoff = new Date(Date.now() - options.retentionDays * DAY_MS);
    const deleted = options.store.pruneSeeds(cutoff);
    options.onPruned?.(deleted, cutoff);
    return deleted;
  };
  const guarded = () => {
    try {
      pruneNow();
    } catch (error) {
      // A busy or read-only database this hour is no reason to stop the bot; the next prune retries.
      options.onError?.(error);
    }
  };
  guarded();
  const timer = setInterval(guarded, options.everyMs ?? PRUNE_EVERY_MS);
  timer.unref();
  return { pruneNow, stop: () => clearInterval(timer) };
}
