/**
 * npm run deploy-commands registers exactly what the handlers implement: the script runs as
 * a child process (as npm runs it) against the emulator via DISCORD_API_URL, and the PUT
 * body the emulator recorded is compared with the handlers' `data.toJSON()`.
 */
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { APIApplicationCommandOption } from "discord-api-types/v10";
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployCommands } from "../../src/bot/deploy.js";
import { commandDefinitions, loadCommands } from "../../src/bot/loader.js";
import { LIMITS } from "../../src/compose/request.js";
import { STYLE_NAMES } from "../../src/compose/styles.js";
import { INSTRUMENT_NAMES } from "../../src/render/instruments.js";
import { DiscordEmulator } from "../discord/emulator.js";
import { REPO_ROOT } from "./harness.js";

const run = promisify(execFile);
const emulator = new DiscordEmulator();

beforeAll(async () => {
  await emulator.start();
});
afterAll(async () => {
  await emulator.close();
});

/** The environment of `npm run deploy-commands`, without anything from the developer's shell. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "silent", ...extra };
}

function option(options: readonly APIApplicationCommandOption[] | undefined, name: string) {
  const found = options?.find((o) => o.name === name);
  if (!found) throw new Error(`no option ${name}`);
  return found as APIApplicationCommandOption & {
    min_value?: number;
    max_value?: number;
    choices?: { name: string; value: string }[];
    autocomplete?: boolean;
  };
}

describe("npm run deploy-commands", () => {
  it("PUTs the handlers' definitions as guild commands when DISCORD_GUILD_ID is set", async () => {
    const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const { stdout } = await run(tsx, [path.join(REPO_ROOT, "scripts", "deploy-commands.ts")], {
      // Away from the repository, so a developer's .env cannot change what is deployed where.
      cwd: tmpdir(),
      env: env({
        DISCORD_TOKEN: emulator.botToken,
        DISCORD_API_URL: emulator.apiUrl,
        DISCORD_GUILD_ID: emulator.guildId,
      }),
    });
    expect(stdout).toMatch(
      /Registered 6 commands .* in guild \d+ \(available now\): \/admin, \/compose, \/forget, \/harmonize, \/help, \/submit/,
    );

    const [registration] = emulator.commands.registrations;
    expect(registration?.scope).toEqual({ guildId: emulator.guildId });
    expect(emulator.callsTo("commands.guild.put")).toHaveLength(1);
    const handlers = await loadCommands();
    // As it travels: JSON drops the builders' undefined fields.
    expect(registration?.body).toEqual(JSON.parse(JSON.stringify(commandDefinitions(handlers))));

    // And spelled out, so a change to the definitions is a visible change here.
    const body = registration?.body as {
      name: string;
      options?: APIApplicationCommandOption[];
      default_member_permissions?: string;
      contexts?: number[];
    }[];
    expect(body.map((c) => c.name)).toEqual(["admin", "compose", "forget", "harmonize", "help", "submit"]);
    // Hidden from all but server administrators, and only in servers.
    expect(body[0]).toMatchObject({ default_member_permissions: "8", contexts: [0] });
    expect(body[0]?.options?.map((o) => [o.name, o.type])).toEqual([
      ["review", ApplicationCommandOptionType.Subcommand],
      ["retrain", ApplicationCommandOptionType.Subcommand],
      ["model", ApplicationCommandOptionType.SubcommandGroup],
      ["forget", ApplicationCommandOptionType.Subcommand],
    ]);
    const compose = body[1]?.options;
    expect(compose?.map((o) => [o.name, o.type])).toEqual([
      ["temperature", ApplicationCommandOptionType.Number],
      ["style", ApplicationCommandOptionType.String],
      ["key", ApplicationCommandOptionType.String],
      ["instrument", ApplicationCommandOptionType.String],
      ["form", ApplicationCommandOptionType.String],
      ["bars", ApplicationCommandOptionType.Integer],
      ["tempo", ApplicationCommandOptionType.Integer],
      ["seed", ApplicationCommandOptionType.Attachment],
      ["chords", ApplicationCommandOptionType.String],
      ["accompaniment", ApplicationCommandOptionType.String],
      ["bodhran", ApplicationCommandOptionType.Boolean],
      ["private", ApplicationCommandOptionType.Boolean],
    ]);
    expect(option(compose, "chords")).toMatchObject({ choices: [{ value: "on" }, { value: "off" }] });
    expect(option(compose, "temperature")).toMatchObject({ min_value: 0.1, max_value: 3 });
    expect(option(compose, "bars")).toMatchObject({ min_value: LIMITS.bars.min, max_value: LIMITS.bars.max });
    expect(option(compose, "tempo")).toMatchObject({
      min_value: LIMITS.tempo.min,
      max_value: LIMITS.tempo.max,
    });
    expect(option(compose, "style").choices?.map((c) => c.value)).toEqual(STYLE_NAMES);
    expect(option(compose, "instrument").choices?.map((c) => c.value)).toEqual(INSTRUMENT_NAMES);
    expect(option(compose, "key").autocomplete).toBe(true);
    expect(
      body.find((c) => c.name === "harmonize")?.options?.map((o) => [o.name, o.type, o.required ?? false]),
    ).toEqual([
      ["tune", ApplicationCommandOptionType.Attachment, true],
      ["instrument", ApplicationCommandOptionType.String, false],
      ["accompaniment", ApplicationCommandOptionType.String, false],
      ["private", ApplicationCommandOptionType.Boolean, false],
    ]);
    const submit = body.find((c) => c.name === "submit")?.options;
    expect(submit?.map((o) => [o.name, o.type, o.required ?? false])).toEqual([
      ["tune", ApplicationCommandOptionType.Attachment, true],
      ["title", ApplicationCommandOptionType.String, false],
      ["notes", ApplicationCommandOptionType.String, false],
    ]);
  });

  it("registers global commands without a guild id", async () => {
    const deployed = await deployCommands({
      token: emulator.botToken,
      commands: await loadCommands(),
      apiUrl: emulator.apiUrl,
    });
    expect(deployed).toMatchObject({ scope: "global", applicationId: emulator.applicationId });
    expect(emulator.commands.registrations.at(-1)?.scope).toBe("global");
    expect(emulator.commands.list().map((c) => c.name)).toEqual([
      "admin",
      "compose",
      "forget",
      "harmonize",
      "help",
      "submit",
    ]);
  });
});
