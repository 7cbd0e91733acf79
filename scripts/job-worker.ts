/**
 * `npm run worker`: a job-queue worker for a bot started with REDIS_URL. Composes (and
 * renders) tunes and runs retraining jobs from the Redis queues, on any machine that can
 * reach Redis and mounts the bot's DATA_DIR (see src/jobs/redis-worker.ts and the README's
 * "Scaling out"). Run as many as you like. SIGINT/SIGTERM: stops taking jobs, cancels a
 * retraining in progress, finishes the compositions running, exits 0.
 *
 *   REDIS_URL=redis://host:6379 DATA_DIR=/shared/tunesmith npm run worker
 */
import { startJobWorker } from "../src/jobs/redis-worker.js";
import { configOrExit, runUntilSignalled } from "../src/lifecycle.js";
import { getLog } from "../src/log.js";

const cfg = configOrExit();
if (!cfg.redisUrl) {
  console.error(
    "npm run worker takes jobs from the bot's Redis queue: set REDIS_URL (e.g. redis://127.0.0.1:6379) for the bot and its workers.\n" +
      "Without REDIS_URL the bot composes in its own process and needs no worker.",
  );
  process.exit(1);
}

const log = getLog();
await runUntilSignalled(log, startJobWorker({ config: cfg, log }), "the worker");
