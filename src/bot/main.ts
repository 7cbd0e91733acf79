/**
 * `npm start`: the bot, configured from the environment and .env. Exits 1 with directions
 * when there is no token; on SIGINT/SIGTERM it finishes or cleanly refuses the work in
 * progress, closes the gateway and exits 0.
 */
import { configOrExit, runUntilSignalled } from "../lifecycle.js";
import { getLog } from "../log.js";
import { startBot } from "./start.js";
import { MISSING_TOKEN_HELP } from "./token-help.js";

if (!configOrExit().discordToken) {
  console.error(MISSING_TOKEN_HELP);
  process.exit(1);
}

const log = getLog();
await runUntilSignalled(log, startBot({ log }), "the bot");
