/**
 * npm run deploy-commands: registers the bot's slash commands, built from the same
 * `data` exports the handlers in commands/ use. Guild commands (instant) when
 * DISCORD_GUILD_ID is set, global commands otherwise. DISCORD_API_URL redirects REST.
 */
import { deployCommands } from "../src/bot/deploy.js";
import { loadCommands } from "../src/bot/loader.js";
import { MISSING_TOKEN_HELP } from "../src/bot/token-help.js";
import { ConfigError, config } from "../src/config.js";

try {
  const settings = config();
  if (!settings.discordToken) {
    console.error(MISSING_TOKEN_HELP);
    process.exit(1);
  }
  const commands = await loadCommands();
  const deployed = await deployCommands({
    token: settings.discordToken,
    commands,
    ...(settings.discordClientId ? { clientId: settings.discordClientId } : {}),
    ...(settings.discordGuildId ? { guildId: settings.discordGuildId } : {}),
    ...(settings.discordApiUrl ? { apiUrl: settings.discordApiUrl } : {}),
  });
  const where =
    deployed.scope === "guild"
      ? `guild ${settings.discordGuildId} (available now)`
      : "every server (global commands can take up to an hour to appear)";
  console.log(
    `Registered ${deployed.names.length} commands for application ${deployed.applicationId} in ${where}: ${deployed.names.map((n) => `/${n}`).join(", ")}`,
  );
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`deploy-commands failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
