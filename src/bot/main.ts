/**
 * `npm start`: the bot, configured from the environment and .env. Exits 1 with directions
 * when there is no token; on SIGINT/SIGTERM it finishes or cleanly refuses the work in
 * progress, closes the gateway and exits 0.
 */
import { ConfigError, config } from "../config.js";
import { getLog } from "../log.js";
import { startBot } from "./start.js";
import { MISSING_TOKEN_HELP } from "./token-help.js";

let settings: ReturnType<typeof config>;
try {
  settings = config();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (!settings.discordToken) {
  console.error(MISSING_TOKEN_HELP);
  process.exit(1);
}

const log = getLog();
let bot: Awaited<ReturnType<typeof startBot>>;
try {
  bot = await startBot({ log });
} catch (error) {
  log.fatal({ err: error }, "the bot could not start");
  process.exit(1);
}

let signalled = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (signalled) {
    log.warn({ signal }, "second signal: exiting without waiting");
    process.exit(1);
  }
  signalled = true;
  log.info({ signal }, "shutting down");
  bot.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    },
  );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
