/**
 * Discord accepts edits and followups for an interaction for 15 minutes after it was
 * created. Past that, any request fails (401, 50027), so the bot checks before it sends.
 */
export const INTERACTION_LIFETIME_MS = 15 * 60_000;

/** Leave this much time for the request itself to reach Discord. */
export const SEND_MARGIN_MS = 5_000;

/** Stop waiting for work this long before the end, leaving time to say it didn't make it. */
export const GIVE_UP_MARGIN_MS = 20_000;

export class Deadline {
  readonly at: number;
  /** `createdAt`: when Discord created the interaction, on `now`'s clock (DiscordClock works it out). */
  constructor(
    createdAt: number,
    lifetimeMs = INTERACTION_LIFETIME_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.at = createdAt + lifetimeMs;
  }

  get msLeft(): number {
    return this.at - this.now();
  }

  /** Whether a request sent now still arrives in time. */
  get canSend(): boolean {
    return this.msLeft > SEND_MARGIN_MS;
  }
}

export const TIMED_OUT: unique symbol = Symbol("timed out");

/** The promise's value, or TIMED_OUT if it has not settled GIVE_UP_MARGIN_MS before the deadline. */
export async function beforeDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline.msLeft - GIVE_UP_MARGIN_MS));
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}
