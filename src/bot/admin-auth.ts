import type { APIInteractionGuildMember, GuildMember } from "discord.js";
import type { Logger } from "pino";
import { UserFacingError } from "./error-replies.js";

/**
 * Who may run admin commands. Discord's default member permissions (Administrator) only
 * hide the commands, and any server admin can change them; this check, against the
 * bot operator's own lists, is what actually decides. Every refusal is logged for audit.
 */
export interface AdminPolicy {
  readonly userIds: readonly string[];
  readonly roleIds: readonly string[];
}

/** The parts of an interaction the check reads (a test can build one by hand). */
export interface Caller {
  readonly user: { readonly id: string };
  readonly guildId: string | null;
  readonly member: GuildMember | APIInteractionGuildMember | null;
}

export type AdminVerdict =
  | { readonly allowed: true; readonly via: "user id" | "role" }
  | { readonly allowed: false; readonly reason: string };

export function judgeAdmin(caller: Caller, policy: AdminPolicy): AdminVerdict {
  if (!caller.guildId) return { allowed: false, reason: "Admin commands work only in a server, not here." };
  if (policy.userIds.includes(caller.user.id)) return { allowed: true, via: "user id" };
  const roles = memberRoleIds(caller.member);
  if (roles.some((r) => policy.roleIds.includes(r))) return { allowed: true, via: "role" };
  const configured = policy.userIds.length + policy.roleIds.length > 0;
  return {
    allowed: false,
    reason: configured
      ? "Only Tunesmith's admins can do that."
      : "Only Tunesmith's admins can do that, and none are set up: the bot's operator lists them in ADMIN_USER_IDS or ADMIN_ROLE_IDS.",
  };
}

/** Throws a refusal the user sees (and logs it for audit) unless the caller is an admin. */
export function requireAdmin(caller: Caller, policy: AdminPolicy, action: string, log: Logger): void {
  const verdict = judgeAdmin(caller, policy);
  if (verdict.allowed) {
    log.info(
      { audit: "admin", user: caller.user.id, guild: caller.guildId, action, via: verdict.via },
      "admin action",
    );
    return;
  }
  log.warn(
    { audit: "admin-denied", user: caller.user.id, guild: caller.guildId, action },
    "admin action refused",
  );
  throw new UserFacingError(verdict.reason, "denied");
}

/** A cached GuildMember has a role manager; a raw API member (uncached guild) has a list of ids. */
function memberRoleIds(member: Caller["member"]): readonly string[] {
  if (!member) return [];
  const roles = member.roles;
  return Array.isArray(roles) ? roles : [...(roles as GuildMember["roles"]).cache.keys()];
}
