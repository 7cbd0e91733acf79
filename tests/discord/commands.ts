/**
 * Application command registry. Bulk overwrites (PUT) are what discord.js's REST helpers and
 * most deploy scripts use; every registration body is kept verbatim for assertions, and the
 * stored definitions let interaction builders give options their declared types.
 */
import {
  type APIApplicationCommand,
  type APIApplicationCommandOption,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
} from "discord-api-types/v10";
import { isJsonObject, type JsonObject } from "./store.js";
import { ApiError } from "./types.js";
import type { Snowflakes } from "./world.js";

export interface CommandRegistration {
  scope: "global" | { guildId: string };
  method: "PUT" | "POST" | "DELETE";
  /** Body exactly as the bot sent it. */
  body: unknown;
  /** What the emulator answered with (ids filled in). */
  result: APIApplicationCommand[];
  at: number;
}

export class CommandRegistry {
  readonly global: APIApplicationCommand[] = [];
  readonly guilds = new Map<string, APIApplicationCommand[]>();
  readonly registrations: CommandRegistration[] = [];

  constructor(
    private readonly ids: Snowflakes,
    private readonly applicationId: string,
    private readonly clock: () => number,
  ) {}

  list(guildId?: string): APIApplicationCommand[] {
    return guildId === undefined ? this.global : (this.guilds.get(guildId) ?? []);
  }

  /** Guild commands shadow global ones, as in the Discord client. */
  find(name: string, guildId?: string): APIApplicationCommand | undefined {
    return (
      (guildId ? this.guilds.get(guildId)?.find((c) => c.name === name) : undefined) ??
      this.global.find((c) => c.name === name)
    );
  }

  /** PUT: replaces the whole set; commands keep their id when name+type match (like Discord). */
  overwrite(guildId: string | undefined, body: unknown): APIApplicationCommand[] {
    if (!Array.isArray(body))
      throw new ApiError(400, 50035, "Invalid Form Body: expected an array of commands");
    const previous = this.list(guildId);
    const next = body.map((entry, i) => this.build(entry, guildId, previous, `${i}`));
    this.replace(guildId, next);
    this.log(guildId, "PUT", body, next);
    return next;
  }

  /** POST: creates or updates one command by name. */
  upsert(guildId: string | undefined, body: unknown): APIApplicationCommand {
    const list = [...this.list(guildId)];
    const command = this.build(body, guildId, list, "");
    const index = list.findIndex((c) => c.id === command.id);
    if (index >= 0) list[index] = command;
    else list.push(command);
    this.replace(guildId, list);
    this.log(guildId, "POST", body, [command]);
    return command;
  }

  remove(guildId: string | undefined, commandId: string): void {
    const list = this.list(guildId);
    const command = list.find((c) => c.id === commandId);
    if (!command) throw new ApiError(404, 10063, "Unknown application command");
    this.replace(
      guildId,
      list.filter((c) => c !== command),
    );
    this.log(guildId, "DELETE", undefined, [command]);
  }

  private build(
    entry: unknown,
    guildId: string | undefined,
    previous: APIApplicationCommand[],
    where: string,
  ): APIApplicationCommand {
    if (!isJsonObject(entry) || typeof entry.name !== "string") {
      throw new ApiError(400, 50035, `Invalid Form Body: ${where}.name is required`);
    }
    const type =
      typeof entry.type === "number"
        ? (entry.type as ApplicationCommandType)
        : ApplicationCommandType.ChatInput;
    if (type === ApplicationCommandType.ChatInput && typeof entry.description !== "string") {
      throw new ApiError(400, 50035, `Invalid Form Body: ${where}.description is required`);
    }
    const existing = previous.find((c) => c.name === entry.name && c.type === type);
    const command: APIApplicationCommand = {
      id: existing?.id ?? this.ids.next(),
      application_id: this.applicationId,
      version: this.ids.next(),
      type,
      name: entry.name,
      description: typeof entry.description === "string" ? entry.description : "",
      default_member_permissions:
        typeof entry.default_member_permissions === "string" ? entry.default_member_permissions : null,
      nsfw: entry.nsfw === true,
      integration_types: [ApplicationIntegrationType.GuildInstall],
      contexts: [
        InteractionContextType.Guild,
        InteractionContextType.BotDM,
        InteractionContextType.PrivateChannel,
      ],
    };
    if (Array.isArray(entry.options)) command.options = entry.options as APIApplicationCommandOption[];
    copyIfPresent(entry, command, ["name_localizations", "description_localizations", "handler"]);
    if (Array.isArray(entry.integration_types)) {
      command.integration_types = entry.integration_types as ApplicationIntegrationType[];
    }
    if (Array.isArray(entry.contexts)) command.contexts = entry.contexts as InteractionContextType[];
    if (guildId !== undefined) command.guild_id = guildId;
    return command;
  }

  private replace(guildId: string | undefined, list: APIApplicationCommand[]): void {
    if (guildId === undefined) this.global.splice(0, this.global.length, ...list);
    else this.guilds.set(guildId, list);
  }

  private log(
    guildId: string | undefined,
    method: CommandRegistration["method"],
    body: unknown,
    result: APIApplicationCommand[],
  ) {
    this.registrations.push({
      scope: guildId === undefined ? "global" : { guildId },
      method,
      body,
      result,
      at: this.clock(),
    });
  }
}

function copyIfPresent(from: JsonObject, to: object, keys: string[]): void {
  for (const key of keys) if (key in from) Object.assign(to, { [key]: from[key] });
}
