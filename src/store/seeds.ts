import type { Database } from "better-sqlite3";

/**
 * The tunes users uploaded as seeds, kept (with their owner, for /forget) so the buttons
 * under a composed tune can continue it; pruned after SEED_RETENTION_DAYS (seed-retention.ts).
 */
export interface NewSeed {
  /** Who uploaded it (or pressed Continue): /forget deletes it. */
  readonly userId: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export interface StoredSeed {
  readonly id: number;
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export interface SeedStore {
  saveSeed(seed: NewSeed): number;
  getSeed(id: number): StoredSeed | undefined;
  /** Deletes the seeds stored before `cutoff`; returns how many. */
  pruneSeeds(cutoff: Date): number;
}

export function seedStore(db: Database): SeedStore {
  const insertSeed = db.prepare(
    "INSERT INTO seeds (user_id, file_name, bytes, created_at) VALUES (@userId, @fileName, @bytes, @now)",
  );
  const deleteOldSeeds = db.prepare<[string]>("DELETE FROM seeds WHERE created_at < ?");
  const seedById = db.prepare<[number], { id: number; file_name: string; bytes: Buffer }>(
    "SELECT id, file_name, bytes FROM seeds WHERE id = ?",
  );
  return {
    saveSeed: ({ userId, fileName, bytes }) =>
      Number(
        insertSeed.run({ userId, fileName, bytes: Buffer.from(bytes), now: new Date().toISOString() })
          .lastInsertRowid,
      ),
    pruneSeeds: (cutoff) => deleteOldSeeds.run(cutoff.toISOString()).changes,
    getSeed: (id) => {
      const row = seedById.get(id);
      return row ? { id: row.id, fileName: row.file_name, bytes: new Uint8Array(row.bytes) } : undefined;
    },
  };
}
