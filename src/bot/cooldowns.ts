import { UserFacingError } from "./error-replies.js";

/**
 * Per-user pause between compositions, so one person cannot keep the composer to
 * themselves. In memory on purpose: a restart forgiving everyone is harmless.
 */
export class Cooldowns {
  private readonly until = new Map<string, number>();

  constructor(
    readonly ms: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the user still has to wait (rounded up), or 0. */
  secondsLeft(userId: string): number {
    const until = this.until.get(userId);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) {
      this.until.delete(userId);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  start(userId: string): void {
    if (this.ms > 0) this.until.set(userId, this.now() + this.ms);
  }

  /** Forgives a request that failed through no fault of the user's, or one they must fix and resend. */
  clear(userId: string): void {
    this.until.delete(userId);
  }
}

/**
 * Work one user may ask for once per cooldown: refused at once while they still have to
 * wait; `started` (called once the request is accepted and deferred) starts their pause; a
 * request that then fails is forgiven, so they can fix it and send it again.
 */
export async function withCooldown(
  cooldowns: Cooldowns,
  userId: string,
  work: (started: () => void) => Promise<void>,
): Promise<void> {
  const wait = cooldowns.secondsLeft(userId);
  if (wait > 0)
    throw new UserFacingError(
      `You're composing quickly! Please wait ${wait} s before asking for another tune.`,
      "cooldown",
    );
  try {
    await work(() => cooldowns.start(userId));
  } catch (error) {
    cooldowns.clear(userId);
    throw error;
  }
}
