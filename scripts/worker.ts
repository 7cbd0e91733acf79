/**
 * `npm run worker`: a job-queue worker for a bot started with REDIS_URL. Composes (and
 * renders) tunes and runs retraining jobs from the Redis queues, on any machine that can
 * reach Redis and mounts the bot's DATA_DIR (see src/jobs/worker.ts and the README's
 * "Scaling out"). Run as many as you like. SIGINT/SIGTERM: stops taking jobs, cancels a
 * retraining in progress, finishes the compositions running, exits 0.
 *
 *   REDIS_URL=redis://host:6379 DATA_DIR=/shared/tunesmith npm run worker
 */
import { ConfigError, config } from "../src/config.js";
import { startJobWorker } from "../src/jobs/worker.js";
import { getLog } from "../src/log.js";

let cfg: ReturnType<typeof config>;
try {
  cfg = config();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (!cfg.redisUrl) {
  console.error(
    "npm run worker takes jobs from the bot's Redis queue: set REDIS_URL (e.g. redis://127.0.0.1:6379) for the bot and its workers.\n" +
      "Without REDIS_URL the bot composes in its own process and needs no worker.",
  );
  process.exit(1);
}

const log = getLog();
let worker: Awaited<ReturnType<typeof startJobWorker>> | undefined;
let signalled = false;
const stop = () => {
  worker?.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    },
  );
};
const shutdown = (signal: NodeJS.Signals) => {
  if (signalled) {
    log.warn({ signal }, "second signal: exiting without waiting");
    process.exit(1);
  }
  signalled = true;
  log.info({ signal }, "shutting down");
  stop(); // or, while starting, as soon as it has started
};
// Before starting: a signal during the start is not lost (nor kills the process half-started).
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

try {
  worker = await startJobWorker({ config: cfg, log });
} catch (error) {
  log.fatal({ err: error }, "the worker could not start");
  process.exit(1);
}
if (signalled) stop();
