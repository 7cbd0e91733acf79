import type { Logger } from "pino";
import { Deadline } from "./deadline.js";

/**
 * Discord's clock as this host sees it. An interaction's 15 minutes run on Discord's clock,
 * from the time in its id; a host whose clock is off (a VM after a suspend, WSL, a dead NTP
 * daemon) would misjudge them by as much. So deadlines are measured from when each
 * interaction *arrived*, on the host's own clock, less the short time it was in transit,
 * which is judged with an estimate of Discord's clock: from the `Date` header of REST
 * responses and the id timestamps of arriving interactions. How far off the host clock is
 * is logged once, at the first estimate.
 */

/**
 * Discord wants the first response within 3 s of creating an interaction, so one that
 * arrives older than that cannot be answered anyway: its transit time is taken as at most
 * this, however wrong the estimate of Discord's clock.
 */
export const MAX_TRANSIT_MS = 3_000;

/** Samples the estimate is made from: recent ones only, so a host clock that is corrected is followed. */
const SAMPLES = 32;

/**
 * The host's time in ms since 1970, but steady: it does not jump when the wall clock is set
 * (by NTP or by hand) while an interaction is in flight.
 */
export const steadyNow = (): number => performance.timeOrigin + performance.now();

/** A skew below this is within the estimate's own error (a Date header counts whole seconds). */
const NOTEWORTHY_SKEW_MS = 2_000;

export class DiscordClock {
  /** Lower bounds of (Discord's clock − the host's), newest last. */
  private readonly samples: number[] = [];
  private readonly arrivals = new WeakMap<object, number>();
  private logged = false;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = steadyNow,
  ) {}

  /**
   * A REST response's `Date` header: Discord's time, rounded down to the second, when the
   * response was made, which was before it arrived here.
   */
  observeDate(header: string | null | undefined, receivedAt = this.now()): void {
    const date = header ? Date.parse(header) : Number.NaN;
    // Made within the second after `date`: half a second is the likeliest guess.
    if (Number.isFinite(date)) this.observe(date + 500 - receivedAt, "Date header");
  }

  /**
   * An interaction has arrived: remembered for its deadline, and its id's timestamp (Discord's
   * time when it was created, shortly before it arrived) is a sample of Discord's clock.
   */
  arrived(interaction: { readonly createdTimestamp: number }, at = this.now()): void {
    if (this.arrivals.has(interaction)) return;
    this.arrivals.set(interaction, at);
    this.observe(interaction.createdTimestamp - at, "interaction id");
  }

  /** Discord's clock minus the host's, in ms; undefined before anything came from Discord. */
  get offsetMs(): number | undefined {
    // Each sample is low by the transit time (and a Date header by its rounding): the largest is the best.
    return this.samples.length === 0 ? undefined : Math.max(...this.samples);
  }

  /**
   * When Discord stops accepting replies to the interaction, on the host's clock: its
   * arrival plus the lifetime, less its transit time (at most MAX_TRANSIT_MS).
   */
  deadline(interaction: { readonly createdTimestamp: number }, lifetimeMs: number): Deadline {
    const arrivedAt = this.arrivals.get(interaction) ?? this.now();
    const discordArrival = arrivedAt + (this.offsetMs ?? 0);
    const transit = Math.min(MAX_TRANSIT_MS, Math.max(0, discordArrival - interaction.createdTimestamp));
    return new Deadline(arrivedAt - transit, lifetimeMs, this.now);
  }

  private observe(sample: number, source: string): void {
    this.samples.push(sample);
    if (this.samples.length > SAMPLES) this.samples.shift();
    if (this.logged) return;
    this.logged = true;
    const skewMs = -sample;
    const fields = { hostClockAheadMs: Math.round(skewMs), source };
    if (Math.abs(skewMs) < NOTEWORTHY_SKEW_MS) {
      this.log.info(fields, "the host clock agrees with Discord's (within 2 s)");
    } else {
      this.log.warn(
        fields,
        `the host clock is ${describeSkew(skewMs)} Discord's; reply deadlines are measured from when interactions arrive`,
      );
    }
  }
}

/** "20 min 3 s ahead of" / "5 s behind". */
export function describeSkew(skewMs: number): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  const minutes = Math.floor(seconds / 60);
  const text = minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  return `${text} ${skewMs > 0 ? "ahead of" : "behind"}`;
}
