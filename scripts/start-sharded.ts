/**
 * `npm run start:sharded`: the bot with its gateway split into TOTAL_SHARDS processes
 * (discord.js ShardingManager; "auto" = Discord's recommendation). Each shard is a whole
 * `npm start`. With REDIS_URL they share the `npm run worker` processes. SIGINT/SIGTERM:
 * every shard finishes its work in progress and exits; then this process exits 0.
 *
 *   TOTAL_SHARDS=2 REDIS_URL=redis://127.0.0.1:6379 npm run start:sharded [-- --spawn-delay 5500]
 */
import { parseArgs } from "node:util";
import { createSharded } from "../src/bot/shards.js";
import { MISSING_TOKEN_HELP } from "../src/bot/token-help.js";
import { ConfigError, config } from "../src/config.js";
import { getLog } from "../src/log.js";

let cfg: ReturnType<typeof config>;
try {
  cfg = config();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (!cfg.discordToken) {
  console.error(MISSING_TOKEN_HELP);
  process.exit(1);
}
const { values } = parseArgs({ options: { "spawn-delay": { type: "string" } } });
const spawnDelay = values["spawn-delay"] === undefined ? undefined : Number(values["spawn-delay"]);
if (spawnDelay !== undefined && !(Number.isInteger(spawnDelay) && spawnDelay >= 0)) {
  console.error(`--spawn-delay must be a whole number of milliseconds, not "${values["spawn-delay"]}"`);
  process.exit(2);
}

const log = getLog();
let signalled = false;
let sharded: Awaited<ReturnType<typeof createSharded>> | undefined;
const shutdown = (signal: NodeJS.Signals) => {
  if (signalled) {
    log.warn({ signal }, "second signal: exiting without waiting");
    process.exit(1);
  }
  signalled = true;
  log.info({ signal }, "shutting down every shard");
  if (!sharded) process.exit(1);
  sharded.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    },
  );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

try {
  sharded = await createSharded({
    config: cfg,
    log,
    ...(spawnDelay !== undefined ? { spawnDelayMs: spawnDelay } : {}),
  });
  await sharded.spawn();
} catch (error) {
  log.fatal({ err: error }, "the shards could not start");
  await sharded?.stop();
  process.exit(1);
}
