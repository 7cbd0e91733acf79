import { REST, type RESTGetCurrentApplicationResult, Routes } from "discord.js";
import type { Command } from "./context.js";
import { commandDefinitions } from "./loader.js";

/**
 * Registers the loaded commands with Discord in one PUT, which replaces whatever was
 * registered before: guild commands (instant, for one server) when a guild id is given,
 * global commands (every server, may take a while to appear) otherwise.
 */
export interface DeployOptions {
  readonly token: string;
  readonly commands: ReadonlyMap<string, Command>;
  /** Taken from the token's application when absent. */
  readonly clientId?: string;
  readonly guildId?: string;
  /** DISCORD_API_URL: another REST server (the emulator in tests). */
  readonly apiUrl?: string;
}

export interface Deployed {
  readonly scope: "guild" | "global";
  readonly applicationId: string;
  readonly names: readonly string[];
}

export async function deployCommands(options: DeployOptions): Promise<Deployed> {
  const rest = new REST(options.apiUrl ? { api: options.apiUrl } : {}).setToken(options.token);
  const applicationId =
    options.clientId ?? ((await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult).id;
  const body = commandDefinitions(options.commands);
  const route = options.guildId
    ? Routes.applicationGuildCommands(applicationId, options.guildId)
    : Routes.applicationCommands(applicationId);
  const registered = (await rest.put(route, { body })) as { name: string }[];
  return {
    scope: options.guildId ? "guild" : "global",
    applicationId,
    names: registered.map((c) => c.name),
  };
}
