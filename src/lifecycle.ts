import type { Logger } from "pino";
import { type Config, ConfigError, config } from "./config.js";

/**
 * What every long-running entry point (npm start, start:sharded, worker) does around its
 * work: read the configuration or exit with every problem listed, and stop cleanly on
 * SIGINT/SIGTERM.
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
 * On SIGINT or SIGTERM: `stop()`, then exit 0 (1 if stopping fails); a second signal exits
 * at once. Install it before starting, with a `stop` that waits for the start, so a signal
 * during start-up is neither lost nor kills the process half-started.
 */
export function exitOnSignals(log: Logger, stop: () => Promise<void>, message = "shutting down"): void {
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    signalled = true;
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
