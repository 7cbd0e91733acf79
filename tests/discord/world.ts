/**
 * The static "world" the emulator presents: one application/bot user, one guild with roles and
 * channels, plus factories for snowflakes and tokens. Everything here is plain data so the REST,
 * gateway and interaction modules can share it without depending on each other.
 */
import { randomBytes } from "node:crypto";
import {
  type APIApplication,
  type APIGuildMember,
  type APIGuildTextChannel,
  type APIRole,
  type APIUser,
  ApplicationFlags,
  type ChannelFlags,
  ChannelType,
  type GatewayGuildCreateDispatchData,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  type GuildHubType,
  type GuildMemberFlags,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  type GuildSystemChannelFlags,
  GuildVerificationLevel,
  PermissionFlagsBits,
  type RoleFlags,
  type UserFlags,
} from "discord-api-types/v10";

const DISCORD_EPOCH = 1_420_070_400_000n;

/**
 * Monotonic snowflakes with real timestamps, so discord.js's `createdTimestamp` stays sensible.
 * They are stamped with Discord's clock, which is the host's plus `clockOffsetMs`.
 */
export class Snowflakes {
  #increment = 0n;
  constructor(readonly clockOffsetMs = 0) {}

  /** Discord's time now, in ms since 1970. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  next(): string {
    this.#increment = (this.#increment + 1n) & 0xfffn;
    const ms = BigInt(Math.round(this.now())) - DISCORD_EPOCH;
    // worker/process bits (17..21) are fixed at 1 so ids never collide with hand-written fixtures.
    return ((ms << 22n) | (1n << 17n) | this.#increment).toString();
  }
}

/** Interaction tokens are opaque strings in Discord; url-safe so they survive being a path segment. */
export function newToken(): string {
  return `aW50ZXJhY3Rpb24${randomBytes(24).toString("base64url")}`;
}

/** Permissions a plain member of a small server typically has (what `@everyone` grants here). */
export const DEFAULT_MEMBER_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.UseExternalEmojis;

/** Everything set: what Discord reports for an Administrator. */
export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((acc, bit) => acc | bit, 0n);

export interface RoleSpec {
  name: string;
  permissions?: bigint;
}

export interface ChannelSpec {
  name: string;
}

export interface WorldOptions {
  applicationId?: string;
  botUsername?: string;
  guildId?: string;
  guildName?: string;
  /** Extra roles besides `@everyone`. */
  roles?: RoleSpec[];
  /** Text channels; the first one is the default channel for interactions. Defaults to `#general`. */
  channels?: ChannelSpec[];
  /** Application flags reported in READY (discord.js exposes them as `client.application.flags`). */
  applicationFlags?: number;
  /**
   * Discord's clock minus the host's (ids and `Date` headers): -20 min plays a host whose
   * clock runs 20 minutes ahead.
   */
  clockOffsetMs?: number;
}

export class World {
  readonly ids: Snowflakes;
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly application: Pick<APIApplication, "id" | "flags" | "flags_new">;
  readonly guildId: string;
  readonly guildName: string;
  readonly ownerId: string;
  readonly roles: APIRole[];
  readonly channels: APIGuildTextChannel<ChannelType.GuildText>[];
  readonly createdAt = new Date().toISOString();

  constructor(options: WorldOptions = {}) {
    this.ids = new Snowflakes(options.clockOffsetMs);
    this.applicationId = options.applicationId ?? this.ids.next();
    // Bots created since 2020 share their id with the application; discord.js relies on nothing else.
    this.botUser = {
      id: this.applicationId,
      username: options.botUsername ?? "Tunesmith",
      discriminator: "0000",
      global_name: null,
      avatar: null,
      bot: true,
      flags: 0 as UserFlags,
    };
    const flags = options.applicationFlags ?? ApplicationFlags.GatewayMessageContentLimited;
    this.application = { id: this.applicationId, flags, flags_new: String(flags) };
    this.guildId = options.guildId ?? this.ids.next();
    this.guildName = options.guildName ?? "Folk Session";
    this.ownerId = this.ids.next();
    this.roles = [
      this.makeRole(this.guildId, "@everyone", DEFAULT_MEMBER_PERMISSIONS, 0),
      ...(options.roles ?? []).map((spec, i) =>
        this.makeRole(this.ids.next(), spec.name, spec.permissions ?? 0n, i + 1),
      ),
    ];
    const channelSpecs = options.channels?.length ? options.channels : [{ name: "general" }];
    this.channels = channelSpecs.map((spec, position) => ({
      id: this.ids.next(),
      type: ChannelType.GuildText,
      guild_id: this.guildId,
      name: spec.name,
      position,
      permission_overwrites: [],
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0 as ChannelFlags,
    }));
  }

  /** The channel interactions come from unless a test says otherwise. */
  get defaultChannel(): APIGuildTextChannel<ChannelType.GuildText> {
    const channel = this.channels[0];
    if (!channel) throw new Error("world has no channels");
    return channel;
  }

  channel(id: string): APIGuildTextChannel<ChannelType.GuildText> | undefined {
    return this.channels.find((c) => c.id === id);
  }

  /** Resolves a role by name or id (tests usually think in names: "Tune Admin"). */
  role(nameOrId: string): APIRole | undefined {
    return this.roles.find((r) => r.id === nameOrId || r.name === nameOrId);
  }

  /** Effective guild-level permissions of a member with these role ids, as Discord computes them. */
  permissionsFor(roleIds: readonly string[]): bigint {
    let perms = this.roles[0]?.permissions ? BigInt(this.roles[0].permissions) : 0n;
    for (const id of roleIds) {
      const role = this.role(id);
      if (role) perms |= BigInt(role.permissions);
    }
    return perms & PermissionFlagsBits.Administrator ? ALL_PERMISSIONS : perms;
  }

  botMember(): APIGuildMember {
    return this.guildMember(this.botUser, []);
  }

  /** A member of the guild as Discord sends one, joined when the guild was made. */
  guildMember(user: APIUser, roles: readonly string[]): APIGuildMember & { user: APIUser } {
    return {
      user,
      roles: [...roles],
      joined_at: this.createdAt,
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
    };
  }

  /** The GUILD_CREATE payload sent after READY; `unavailable: false` is what makes discord.js ready. */
  guildCreate(): GatewayGuildCreateDispatchData {
    return {
      id: this.guildId,
      name: this.guildName,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.ownerId,
      region: "",
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: GuildVerificationLevel.None,
      default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
      explicit_content_filter: GuildExplicitContentFilter.Disabled,
      roles: this.roles,
      emojis: [],
      features: [],
      mfa_level: GuildMFALevel.None,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0 as GuildSystemChannelFlags,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: GuildPremiumTier.None,
      preferred_locale: "en-US" as GatewayGuildCreateDispatchData["preferred_locale"],
      public_updates_channel_id: null,
      nsfw_level: GuildNSFWLevel.Default,
      stickers: [],
      premium_progress_bar_enabled: false,
      hub_type: null as GuildHubType | null,
      safety_alerts_channel_id: null,
      incidents_data: null,
      joined_at: this.createdAt,
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [this.botMember()],
      channels: this.channels,
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private makeRole(id: string, name: string, permissions: bigint, position: number): APIRole {
    return {
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: permissions.toString(),
      managed: false,
      mentionable: false,
      flags: 0 as RoleFlags,
    };
  }
}
