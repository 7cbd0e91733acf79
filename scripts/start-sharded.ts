/**
 * `npm run start:sharded`: the bot with its gateway split into TOTAL_SHARDS processes
 * (discord.js ShardingManager; "auto" = Discord's recommendation). Each shard is a whole
 * `npm start`. With REDIS_URL they share the `npm run worker` processes. SIGINT/SIGTERM:
 * every shard finishes its work in progress and exits; then this process exits 0.
 *
 *   TOTAL_SHARDS=2 REDIS_URL=redis://127.0.0.1:6379 npm run start:sharded [-- --spawn-delay 5500]
 */
import { createSharded } from "../src/bot/shards.js";
import { MISSING_TOKEN_HELP } from "../src/bot/token-help.js";
import { configOrExit, exitOnSignals } from "../src/lifecycle.js";
import { getLog } from "../src/log.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, { options: { "spawn-delay": { type: "string" } } });
const cfg = configOrExit();
if (!cfg.discordToken) {
  console.error(MISSING_TOKEN_HELP);
  process.exit(1);
}
const spawnDelay = values["spawn-delay"] === undefined ? undefined : Number(values["spawn-delay"]);
if (spawnDelay !== undefined && !(Number.isInteger(spawnDelay) && spawnDelay >= 0)) {
  console.error(`--spawn-delay must be a whole number of milliseconds, not "${values["spawn-delay"]}"`);
  process.exit(2);
}

const log = getLog();
const starting = createSharded({
  config: cfg,
  log,
  ...(spawnDelay !== undefined ? { spawnDelayMs: spawnDelay } : {}),
});
exitOnSignals(log, async () => (await starting).stop(), "shutting down every shard");

try {
  await (await starting).spawn();
} catch (error) {
  log.fatal({ err: error }, "the shards could not start");
  await starting.then((sharded) => sharded.stop()).catch(() => {});
  process.exit(1);
}
