/** What `npm start` and `npm run deploy-commands` print when there is no token to connect with. */
export const MISSING_TOKEN_HELP = `DISCORD_TOKEN is not set, so Tunesmith cannot connect to Discord.

To get a token:
  1. Open https://discord.com/developers/applications and create an application (or open yours).
  2. Bot → Reset Token, and put it in .env as DISCORD_TOKEN=... (keep it secret; never commit it).
     No privileged gateway intents are needed: leave them all off.
  3. Invite the bot: OAuth2 → URL Generator → scopes "bot" and "applications.commands",
     then open the generated URL and pick your server.
  4. Register the slash commands with npm run deploy-commands
     (set DISCORD_GUILD_ID in .env to register them instantly on one server), then npm start.

To try the composer without Discord: npm run compose -- --style jig --key "A dorian"`;
