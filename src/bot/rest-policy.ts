import type { RateLimitData, RESTOptions } from "discord.js";

/**
 * Bounds on how long discord.js keeps trying one REST request. It retries 5xx answers and
 * network errors `retries` times, but waits out 429s for as long as Discord keeps sending
 * them; the rate-limit budget below turns a storm of 429s into a RateLimitError, which the
 * router reports to the user as a clear failure.
 */
export const REST_RETRIES = 3;
/** Per attempt; an attempt that times out counts as a retry. */
export const REST_TIMEOUT_MS = 15_000;
/** Rate-limit waits one endpoint may sit through within RATE_LIMIT_WINDOW_MS before its request fails. */
export const MAX_RATE_LIMIT_WAITS = 6;
/** A single wait longer than this fails at once: no reply is worth holding a minute for. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimitBudgetOptions {
  readonly maxWaits?: number;
  readonly maxWaitMs?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

/**
 * discord.js's `rejectOnRateLimit`: true (give up) once one endpoint (method and URL, so one
 * interaction's message) has been held back more than `maxWaits` times within `windowMs`,
 * or for a wait longer than `maxWaitMs`. discord.js asks before every wait.
 */
export function rateLimitBudget(options: RateLimitBudgetOptions = {}): (data: RateLimitData) => boolean {
  const maxWaits = options.maxWaits ?? MAX_RATE_LIMIT_WAITS;
  const maxWaitMs = options.maxWaitMs ?? MAX_RATE_LIMIT_WAIT_MS;
  const windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
  const now = options.now ?? Date.now;
  const streaks = new Map<string, { since: number; waits: number }>();
  return (data) => {
    const at = now();
    // Forget quiet endpoints, so the map stays as small as the storm.
    for (const [key, streak] of streaks) if (at - streak.since > windowMs) streaks.delete(key);
    if (Math.max(data.retryAfter, data.timeToReset) > maxWaitMs) return true;
    const key = `${data.method.toUpperCase()} ${data.url}`;
    const streak = streaks.get(key) ?? { since: at, waits: 0 };
    streak.waits++;
    streaks.set(key, streak);
    return streak.waits > maxWaits;
  };
}

/** The REST options the bot's client uses. */
export function restOptions(apiUrl?: string): Partial<RESTOptions> {
  return {
    retries: REST_RETRIES,
    timeout: REST_TIMEOUT_MS,
    rejectOnRateLimit: rateLimitBudget(),
    ...(apiUrl ? { api: apiUrl } : {}),
  };
}
