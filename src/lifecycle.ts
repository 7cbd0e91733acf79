import type { Logger } from "pino";
import { type Config, ConfigError, config } from "./config.js";

/**
 * What every long-running entry point (npm start, start:sharded, worker) does around its
 * work: read the configuration or exit with every problem listed, undo a start-up that
 * fails half-way, and stop cleanly on SIGINT/SIGTERM.
 */

/** config(), or exit 1 with the list of bad settings (no stack trace: the user fixes .env). */
export function configOrExit(): Config {
  try {
    return config();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/**
 * A signal this soon after the first is the same stop arriving twice, not an operator
 * insisting: Ctrl-C or a service manager signals the whole process group, so a shard or a
 * child gets it both from there and from its parent.
 */
export const DUPLICATE_SIGNAL_MS = 2_000;

/**
 * On SIGINT or SIGTERM: `stop()`, then exit 0 (1 if stopping fails); a second signal (later
 * than DUPLICATE_SIGNAL_MS after the first) exits at once. Install it before starting, with
 * a `stop` that waits for the start, so a signal during start-up is neither lost nor kills
 * the process half-started.
 */
export function exitOnSignals(log: Logger, stop: () => Promise<void>, message = "shutting down"): void {
  let signalledAt: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalledAt !== undefined) {
      if (Date.now() - signalledAt < DUPLICATE_SIGNAL_MS) return;
      log.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    signalledAt = Date.now();
    log.info({ signal }, message);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/**
 * Runs a service until SIGINT/SIGTERM (exitOnSignals, installed as `starting` begins); one
 * that cannot start is logged as `<what> could not start` and the process exits 1.
 */
export async function runUntilSignalled(
  log: Logger,
  starting: Promise<{ stop(): Promise<void> }>,
  what: string,
): Promise<void> {
  exitOnSignals(log, async () => (await starting).stop());
  try {
    await starting;
  } catch (error) {
    log.fatal({ err: error }, `${what} could not start`);
    process.exit(1);
  }
}

/** What a start-up has opened so far, closed newest first if it fails half-way. */
export class Teardown {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step();
  }
}

/** `stop` run once however often it is called (a signal during a stop, a test's cleanup). */
export function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= stop();
    return stopping;
  };
}
