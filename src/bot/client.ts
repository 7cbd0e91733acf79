import { Client, GatewayIntentBits } from "discord.js";

/**
 * The discord.js client: the Guilds intent only (slash commands and buttons need no
 * privileged intents and no message content). `apiUrl` (DISCORD_API_URL) points REST at
 * another server, e.g. the test emulator; discord.js appends the version (`/v10`).
 * No message may ping anyone: titles and notes that users wrote are echoed back.
 */
export function createClient(apiUrl?: string): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [] },
    ...(apiUrl ? { rest: { api: apiUrl } } : {}),
  });
}
