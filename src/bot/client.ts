import { Client, GatewayIntentBits } from "discord.js";
import { restOptions } from "./rest-policy.js";

/**
 * The discord.js client: the Guilds intent only (slash commands and buttons need no
 * privileged intents and no message content). `apiUrl` (DISCORD_API_URL) points REST at
 * another server, e.g. the test emulator; discord.js appends the version (`/v10`).
 * No message may ping anyone: titles and notes that users wrote are echoed back.
 * REST retries and rate-limit waits are bounded (rest-policy.ts).
 */
export function createClient(apiUrl?: string): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [] },
    rest: restOptions(apiUrl),
  });
}
