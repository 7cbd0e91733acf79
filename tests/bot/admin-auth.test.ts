/**
 * Who may run admin commands, decided by the operator's lists alone: Discord permissions
 * (which a server admin can change) never grant it, a DM never does, and every refusal is
 * logged with user and guild.
 */
import { Writable } from "node:stream";
import { type APIInteractionGuildMember, PermissionFlagsBits } from "discord.js";
import { describe, expect, it } from "vitest";
import { type AdminPolicy, type Caller, judgeAdmin, requireAdmin } from "../../src/bot/admin-auth.js";
import { UserFacingError } from "../../src/bot/error-replies.js";
import { createLogger } from "../../src/log.js";

const GUILD = "300000000000000001";
const OWNER = "300000000000000002";
const STEWARD_ROLE = "300000000000000003";
const OTHER_ROLE = "300000000000000004";
const policy: AdminPolicy = { userIds: [OWNER], roleIds: [STEWARD_ROLE] };

function member(roles: string[], permissions: bigint): APIInteractionGuildMember {
  return {
    user: { id: "0", username: "x", discriminator: "0", global_name: null, avatar: null },
    roles,
    permissions: permissions.toString(),
    joined_at: "2026-01-01T00:00:00.000Z",
    deaf: false,
    mute: false,
    flags: 0 as APIInteractionGuildMember["flags"],
  } as APIInteractionGuildMember;
}

function caller(
  id: string,
  options: { roles?: string[]; permissions?: bigint; guildId?: string | null } = {},
): Caller {
  const guildId = options.guildId === undefined ? GUILD : options.guildId;
  return {
    user: { id },
    guildId,
    member: guildId === null ? null : member(options.roles ?? [], options.permissions ?? 0n),
  };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  });
  return { log, lines };
}

describe("judgeAdmin", () => {
  it("refuses a server administrator who is not on the lists (the command's permissions were changed)", () => {
    const verdict = judgeAdmin(
      caller("300000000000000099", { roles: [OTHER_ROLE], permissions: PermissionFlagsBits.Administrator }),
      policy,
    );
    expect(verdict).toEqual({ allowed: false, reason: "Only Tunesmith's admins can do that." });
  });

  it("allows a holder of an admin role, and a listed user id whatever their roles", () => {
    expect(judgeAdmin(caller("300000000000000098", { roles: [OTHER_ROLE, STEWARD_ROLE] }), policy)).toEqual({
      allowed: true,
      via: "role",
    });
    expect(judgeAdmin(caller(OWNER), policy)).toEqual({ allowed: true, via: "user id" });
  });

  it("refuses everyone in a DM, even a listed user id (no guild, no member)", () => {
    const verdict = judgeAdmin(caller(OWNER, { guildId: null }), policy);
    expect(verdict.allowed).toBe(false);
    expect(verdict).toMatchObject({ reason: expect.stringMatching(/only in a server/) });
  });

  it("with empty lists refuses everyone, administrators included, and says the lists are empty", () => {
    const empty: AdminPolicy = { userIds: [], roleIds: [] };
    for (const who of [
      caller(OWNER, { permissions: PermissionFlagsBits.Administrator }),
      caller("300000000000000097", { roles: [STEWARD_ROLE] }),
    ]) {
      const verdict = judgeAdmin(who, empty);
      expect(verdict).toMatchObject({ allowed: false, reason: expect.stringMatching(/ADMIN_USER_IDS/) });
    }
  });

  it("reads roles from a cached GuildMember's role manager too", () => {
    const cached = { roles: { cache: new Map([[STEWARD_ROLE, {}]]) } } as unknown as Caller["member"];
    expect(
      judgeAdmin({ user: { id: "300000000000000096" }, guildId: GUILD, member: cached }, policy),
    ).toEqual({ allowed: true, via: "role" });
  });
});

describe("requireAdmin", () => {
  it("throws a refusal for the user and logs the denial with user, guild and action", () => {
    const { log, lines } = capture();
    const intruder = caller("300000000000000095", { permissions: PermissionFlagsBits.Administrator });
    expect(() => requireAdmin(intruder, policy, "/admin retrain", log)).toThrow(UserFacingError);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        audit: "admin-denied",
        user: "300000000000000095",
        guild: GUILD,
        action: "/admin retrain",
      }),
    ]);
  });

  it("logs a DM refusal with guild null", () => {
    const { log, lines } = capture();
    expect(() => requireAdmin(caller(OWNER, { guildId: null }), policy, "/admin review", log)).toThrow(
      /only in a server/,
    );
    expect(lines[0]).toMatchObject({ audit: "admin-denied", user: OWNER, guild: null });
  });

  it("lets admins through and logs the action and how they qualified", () => {
    const { log, lines } = capture();
    requireAdmin(caller(OWNER), policy, "/admin model rollback", log);
    requireAdmin(caller("300000000000000094", { roles: [STEWARD_ROLE] }), policy, "review approved #3", log);
    expect(lines.map((l) => [l.audit, l.user, l.via, l.action])).toEqual([
      ["admin", OWNER, "user id", "/admin model rollback"],
      ["admin", "300000000000000094", "role", "review approved #3"],
    ]);
  });
});
