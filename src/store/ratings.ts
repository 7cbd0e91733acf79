import type { Database } from "better-sqlite3";

/** Members' ratings of composed tunes: one per member and tune, a new rating replaces the old. */
export interface NewRating {
  readonly guildId: string | null;
  readonly userId: string;
  /** Whatever identifies the tune, e.g. its button custom id. */
  readonly tune: string;
  readonly rating: number;
}

export interface Rating extends NewRating {
  readonly id: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface RatingStore {
  /** `replaced` when the member had rated this tune before. Ratings must be integers. */
  addRating(rating: NewRating): { readonly rating: Rating; readonly replaced: boolean };
  ratingSummary(tune: string): { readonly count: number; readonly mean: number | null };
}

interface RatingRow {
  id: number;
  guild_id: string | null;
  user_id: string;
  tune: string;
  rating: number;
  created_at: string;
  updated_at: string;
}

export function ratingStore(db: Database): RatingStore {
  const find = db.prepare<[string, string], RatingRow>(
    "SELECT * FROM ratings WHERE user_id = ? AND tune = ?",
  );
  const upsert = db.prepare(
    `INSERT INTO ratings (guild_id, user_id, tune, rating, created_at, updated_at)
     VALUES (@guildId, @userId, @tune, @rating, @now, @now)
     ON CONFLICT (user_id, tune) DO UPDATE SET rating = excluded.rating, guild_id = excluded.guild_id,
       updated_at = excluded.updated_at`,
  );
  const summary = db.prepare<[string], { count: number; mean: number | null }>(
    "SELECT COUNT(*) AS count, AVG(rating) AS mean FROM ratings WHERE tune = ?",
  );
  const add = db.transaction((r: NewRating) => {
    if (!Number.isInteger(r.rating)) throw new Error(`a rating is an integer, not ${r.rating}`);
    const replaced = find.get(r.userId, r.tune) !== undefined;
    upsert.run({ ...r, now: new Date().toISOString() });
    const row = find.get(r.userId, r.tune) as RatingRow;
    return {
      rating: {
        id: row.id,
        guildId: row.guild_id,
        userId: row.user_id,
        tune: row.tune,
        rating: row.rating,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      replaced,
    };
  });
  return {
    addRating: (rating) => add.immediate(rating),
    ratingSummary: (tune) => summary.get(tune) as { count: number; mean: number | null },
  };
}
