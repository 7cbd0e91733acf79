/**
 * Builders for INTERACTION_CREATE payloads shaped like the ones Discord sends when a user runs a
 * slash command, types into an autocompleted option, clicks a button, picks from a select menu or
 * submits a modal. They are pure: ids/tokens come from the caller, dispatch happens elsewhere.
 */
import {
  type APIApplicationCommandAutocompleteGuildInteraction,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
  type APIAttachment,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIInteractionDataResolved,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIMessageComponentGuildInteraction,
  type APIModalSubmissionComponent,
  type APIModalSubmitGuildInteraction,
  type APIUser,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  ComponentType,
  InteractionContextType,
  InteractionType,
  type Locale,
  PermissionFlagsBits,
  type UserFlags,
} from "discord-api-types/v10";
import type { CommandRegistry } from "./commands.js";
import { isJsonObject } from "./store.js";
import type { World } from "./world.js";

/** Who performs the interaction, and where. */
export interface UserSpec {
  id?: string;
  username?: string;
  globalName?: string;
  /** Role ids or role names from the emulator's guild. */
  roles?: string[];
  /** Overrides the permissions computed from the roles (as Discord sends in `member.permissions`). */
  permissions?: bigint;
}

export interface InteractionContextOptions {
  user?: UserSpec;
  /** Defaults to the guild's first text channel. */
  channelId?: string;
  locale?: Locale | `${Locale}`;
  guildLocale?: Locale | `${Locale}`;
  /** The bot's permissions in the channel (`interaction.appPermissions`). */
  appPermissions?: bigint;
  /** Max upload size for responses (`interaction.attachmentSizeLimit`). */
  attachmentSizeLimit?: number;
  /**
   * In the user's direct messages with the bot instead of the guild: no `guild_id` and no
   * `member`, only `user`, a DM channel and context BotDM (roles and permissions ignored).
   */
  dm?: boolean;
}

/** Explicitly typed option value, for when the command is not registered or the type is ambiguous. */
export interface TypedOption {
  type: ApplicationCommandOptionType;
  value: string | number | boolean;
  /** For attachment options: the attachment, which goes into `data.resolved.attachments`. */
  attachment?: APIAttachment;
}

export type OptionInput = string | number | boolean | APIAttachment | TypedOption;

/** Helpers for ambiguous option values, e.g. `{ tempo: opt.number(120) }`. */
export const opt = {
  string: (value: string): TypedOption => ({ type: ApplicationCommandOptionType.String, value }),
  integer: (value: number): TypedOption => ({ type: ApplicationCommandOptionType.Integer, value }),
  number: (value: number): TypedOption => ({ type: ApplicationCommandOptionType.Number, value }),
  boolean: (value: boolean): TypedOption => ({ type: ApplicationCommandOptionType.Boolean, value }),
  user: (id: string): TypedOption => ({ type: ApplicationCommandOptionType.User, value: id }),
  channel: (id: string): TypedOption => ({ type: ApplicationCommandOptionType.Channel, value: id }),
  role: (id: string): TypedOption => ({ type: ApplicationCommandOptionType.Role, value: id }),
  attachment: (attachment: APIAttachment): TypedOption => ({
    type: ApplicationCommandOptionType.Attachment,
    value: attachment.id,
    attachment,
  }),
};

/** The bot's default channel permissions: enough to answer with files and embeds. */
export const DEFAULT_APP_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseExternalEmojis;

/** Discord's default upload limit for a server without boosts (10 MiB). */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

export interface Ids {
  id: string;
  token: string;
}

export class PayloadBuilder {
  readonly defaultUserId: string;

  constructor(
    private readonly world: World,
    private readonly commands: CommandRegistry,
  ) {
    this.defaultUserId = world.ids.next();
  }

  /** `command` is the full invocation path: "compose", "admin review" or "group sub command". */
  chatInput(
    ids: Ids,
    command: string,
    options: Record<string, OptionInput>,
    ctx: InteractionContextOptions,
  ): APIChatInputApplicationCommandGuildInteraction {
    return {
      ...this.base(ids, InteractionType.ApplicationCommand, ctx),
      data: this.commandData(command, options, ctx),
    } as APIChatInputApplicationCommandGuildInteraction;
  }

  /** The option named `focused` carries what the user has typed so far (always a string, like Discord). */
  autocomplete(
    ids: Ids,
    command: string,
    options: Record<string, OptionInput>,
    focused: string,
    ctx: InteractionContextOptions,
  ): APIApplicationCommandAutocompleteGuildInteraction {
    if (!(focused in options)) throw new Error(`autocomplete: focused option "${focused}" has no value`);
    return {
      ...this.base(ids, InteractionType.ApplicationCommandAutocomplete, ctx),
      data: this.commandData(command, options, ctx, focused),
    } as APIApplicationCommandAutocompleteGuildInteraction;
  }

  /** A slash command's data: its options typed by the registered definitions, attachments resolved. */
  private commandData(
    command: string,
    options: Record<string, OptionInput>,
    ctx: InteractionContextOptions,
    focused?: string,
  ) {
    const { name, path, id, leafDefs } = this.resolveCommand(command);
    const resolved: APIInteractionDataResolved = {};
    const leaf = Object.entries(options).map(([optName, input]) => {
      const built = this.option(optName, input, leafDefs, resolved, command);
      if (optName !== focused) return built;
      const raw = isTyped(input) ? input.value : input;
      return { ...built, value: String(raw), focused: true } as APIApplicationCommandInteractionDataOption;
    });
    return {
      id,
      name,
      type: ApplicationCommandType.ChatInput,
      ...(ctx.dm ? {} : { guild_id: this.world.guildId }),
      options: wrapSubcommands(path, leaf),
      ...(Object.keys(resolved).length ? { resolved } : {}),
    };
  }

  button(ids: Ids, message: APIMessage, customId: string, ctx: InteractionContextOptions) {
    const payload: APIMessageComponentGuildInteraction = {
      ...this.base(ids, InteractionType.MessageComponent, { channelId: message.channel_id, ...ctx }),
      message,
      data: { custom_id: customId, component_type: ComponentType.Button },
    };
    return payload;
  }

  stringSelect(
    ids: Ids,
    message: APIMessage,
    customId: string,
    values: string[],
    ctx: InteractionContextOptions,
  ) {
    const payload: APIMessageComponentGuildInteraction = {
      ...this.base(ids, InteractionType.MessageComponent, { channelId: message.channel_id, ...ctx }),
      message,
      data: { custom_id: customId, component_type: ComponentType.StringSelect, values },
    };
    return payload;
  }

  /**
   * Field values keyed by text input custom_id. `labels: true` mirrors modals built from Label
   * components (the current style); otherwise legacy action rows are used.
   */
  modalSubmit(
    ids: Ids,
    customId: string,
    fields: Record<string, string>,
    labels: boolean,
    message: APIMessage | undefined,
    ctx: InteractionContextOptions,
  ): APIModalSubmitGuildInteraction {
    let componentId = 1;
    const components: APIModalSubmissionComponent[] = Object.entries(fields).map(([fieldId, value]) => {
      const input = { type: ComponentType.TextInput as const, id: componentId++, custom_id: fieldId, value };
      return labels
        ? { type: ComponentType.Label, id: componentId++, component: input }
        : { type: ComponentType.ActionRow, id: componentId++, components: [input] };
    });
    return {
      ...this.base(ids, InteractionType.ModalSubmit, ctx),
      ...(message ? { message } : {}),
      data: { custom_id: customId, components },
    };
  }

  /** Fields every guild interaction carries (or, with `ctx.dm`, a DM interaction: typed as guild for the callers). */
  private base<T extends InteractionType>(ids: Ids, type: T, ctx: InteractionContextOptions) {
    if (ctx.dm) return this.dmBase(ids, type, ctx) as unknown as ReturnType<typeof this.guildBase<T>>;
    return this.guildBase(ids, type, ctx);
  }

  /** As Discord sends an interaction from the user's DM with the bot. */
  private dmBase<T extends InteractionType>(ids: Ids, type: T, ctx: InteractionContextOptions) {
    const { user } = this.member(ctx.user ?? {});
    const channelId = ctx.channelId ?? this.dmChannelId(user.id);
    return {
      id: ids.id,
      application_id: this.world.applicationId,
      type,
      token: ids.token,
      version: 1 as const,
      channel: { id: channelId, type: ChannelType.DM, last_message_id: null, recipients: [user], flags: 0 },
      channel_id: channelId,
      user,
      app_permissions: (ctx.appPermissions ?? DEFAULT_APP_PERMISSIONS).toString(),
      locale: (ctx.locale ?? "en-US") as Locale,
      entitlements: [],
      // A guild-installed app in its bot DM: the owner is "0" (Discord's docs).
      authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: "0" },
      context: InteractionContextType.BotDM,
      attachment_size_limit: ctx.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
  }

  readonly #dmChannels = new Map<string, string>();

  /** One DM channel per user, as on Discord. */
  private dmChannelId(userId: string): string {
    let id = this.#dmChannels.get(userId);
    if (!id) {
      id = this.world.ids.next();
      this.#dmChannels.set(userId, id);
    }
    return id;
  }

  private guildBase<T extends InteractionType>(ids: Ids, type: T, ctx: InteractionContextOptions) {
    const channel = this.world.channel(ctx.channelId ?? this.world.defaultChannel.id);
    if (!channel) throw new Error(`unknown channel ${ctx.channelId}`);
    const member = this.member(ctx.user ?? {});
    const appPermissions = (ctx.appPermissions ?? DEFAULT_APP_PERMISSIONS).toString();
    return {
      id: ids.id,
      application_id: this.world.applicationId,
      type,
      token: ids.token,
      version: 1 as const,
      guild_id: this.world.guildId,
      guild: { id: this.world.guildId, features: [], locale: (ctx.guildLocale ?? "en-US") as Locale },
      channel: { ...channel, permissions: member.permissions },
      channel_id: channel.id,
      member,
      app_permissions: appPermissions,
      locale: (ctx.locale ?? "en-US") as Locale,
      guild_locale: (ctx.guildLocale ?? "en-US") as Locale,
      entitlements: [],
      authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: this.world.guildId },
      context: InteractionContextType.Guild,
      attachment_size_limit: ctx.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
  }

  member(spec: UserSpec): APIInteractionGuildMember {
    const roleIds = (spec.roles ?? []).map((r) => {
      const role = this.world.role(r);
      if (!role)
        throw new Error(`unknown role "${r}" (known: ${this.world.roles.map((x) => x.name).join(", ")})`);
      return role.id;
    });
    const id = spec.id ?? this.defaultUserId;
    const user: APIUser = {
      id,
      username: spec.username ?? "fiddler",
      discriminator: "0",
      global_name: spec.globalName ?? null,
      avatar: null,
      flags: 0 as UserFlags,
      public_flags: 0 as UserFlags,
    };
    return {
      ...this.world.guildMember(user, roleIds),
      permissions: (spec.permissions ?? this.world.permissionsFor(roleIds)).toString(),
    };
  }

  /** Splits "admin review" into the command and its subcommand path, using registered definitions if any. */
  private resolveCommand(command: string) {
    const [name = "", ...path] = command.trim().split(/\s+/);
    if (!name) throw new Error("empty command name");
    if (path.length > 2) throw new Error(`"${command}": at most a subcommand group and a subcommand`);
    const registered = this.commands.find(name, this.world.guildId);
    let defs: APIApplicationCommandOption[] | undefined = registered?.options;
    for (const segment of path) {
      if (!registered) break;
      const sub = defs?.find((o) => o.name === segment);
      if (
        !sub ||
        (sub.type !== ApplicationCommandOptionType.Subcommand &&
          sub.type !== ApplicationCommandOptionType.SubcommandGroup)
      ) {
        throw new Error(`"${command}": "${segment}" is not a registered subcommand of /${name}`);
      }
      defs = sub.options;
    }
    return {
      name,
      path,
      id: registered?.id ?? this.world.ids.next(),
      leafDefs: registered ? (defs ?? []) : undefined,
    };
  }

  private option(
    name: string,
    input: OptionInput,
    defs: APIApplicationCommandOption[] | undefined,
    resolved: APIInteractionDataResolved,
    command: string,
  ): APIApplicationCommandInteractionDataOption {
    const declared = defs?.find((d) => d.name === name);
    if (defs && !declared) {
      throw new Error(
        `/${command} has no option "${name}" (declared: ${defs.map((d) => d.name).join(", ")})`,
      );
    }
    let type: ApplicationCommandOptionType;
    let value: string | number | boolean;
    if (isTyped(input)) {
      type = input.type;
      value = input.value;
      if (input.attachment) addAttachment(resolved, input.attachment);
    } else if (isAttachment(input)) {
      type = ApplicationCommandOptionType.Attachment;
      value = input.id;
      addAttachment(resolved, input);
    } else {
      type = declared?.type ?? inferType(input);
      value = input;
    }
    if (declared && (declared.type !== type || !fitsType(type, value))) {
      throw new Error(
        `/${command} option "${name}" is declared as type ${declared.type}, got ${JSON.stringify(value)} (type ${type})`,
      );
    }
    if (type === ApplicationCommandOptionType.User) {
      resolved.users = { ...resolved.users, [String(value)]: this.member({ id: String(value) }).user };
    }
    return { name, type, value } as APIApplicationCommandInteractionDataOption;
  }
}

function inferType(value: string | number | boolean): ApplicationCommandOptionType {
  if (typeof value === "string") return ApplicationCommandOptionType.String;
  if (typeof value === "boolean") return ApplicationCommandOptionType.Boolean;
  return Number.isInteger(value) ? ApplicationCommandOptionType.Integer : ApplicationCommandOptionType.Number;
}

/** Whether a raw value is acceptable for an option type (what the Discord client would let through). */
function fitsType(type: ApplicationCommandOptionType, value: string | number | boolean): boolean {
  switch (type) {
    case ApplicationCommandOptionType.Integer:
      return Number.isInteger(value);
    case ApplicationCommandOptionType.Number:
      return typeof value === "number" && Number.isFinite(value);
    case ApplicationCommandOptionType.Boolean:
      return typeof value === "boolean";
    default:
      return typeof value === "string";
  }
}

function isTyped(input: OptionInput): input is TypedOption {
  return isJsonObject(input) && "type" in input && "value" in input;
}

function isAttachment(input: OptionInput): input is APIAttachment {
  return isJsonObject(input) && typeof input.id === "string" && typeof input.filename === "string";
}

function addAttachment(resolved: APIInteractionDataResolved, attachment: APIAttachment): void {
  resolved.attachments = { ...resolved.attachments, [attachment.id]: attachment };
}

/** Nests leaf options under `[group, sub]` the way Discord encodes subcommands. */
function wrapSubcommands(
  path: string[],
  leaf: APIApplicationCommandInteractionDataOption[],
): APIApplicationCommandInteractionDataOption[] {
  const [first, second] = path;
  if (first === undefined) return leaf;
  // Leaves are basic options; the union type can't express that after mapping, hence the cast.
  const options = leaf as APIApplicationCommandInteractionDataBasicOption[];
  if (second === undefined) return [{ name: first, type: ApplicationCommandOptionType.Subcommand, options }];
  return [
    {
      name: first,
      type: ApplicationCommandOptionType.SubcommandGroup,
      options: [{ name: second, type: ApplicationCommandOptionType.Subcommand, options }],
    },
  ];
}
