/**
 * One emulator, one composer pool and the real bot for a test file. The pool is shared
 * across restarts (starting one costs seconds); everything the bot itself holds
 * (client, store connection, cooldowns, commands) is rebuilt by `restart()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { APIEmbed, APIMessageTopLevelComponent } from "discord-api-types/v10";
import { deployCommands } from "../../src/bot/deploy.js";
import { type RunningBot, type StartBotOptions, startBot } from "../../src/bot/start.js";
import { ComposePool } from "../../src/compose/pool.js";
import { createLogger } from "../../src/log.js";
import { midiOf } from "../../src/music/pitch.js";
import type { Tune } from "../../src/music/tune.js";
import { VERSION_ZERO } from "../../src/versions/version-ids.js";
import {
  DiscordEmulator,
  type EmulatorOptions,
  type InteractionHandle,
  type SeenMessage,
  type UserSpec,
} from "../discord/emulator.js";

export const MODEL_DIR = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface Harness {
  readonly emulator: DiscordEmulator;
  readonly pool: ComposePool;
  readonly dataDir: string;
  readonly logs: LogLine[];
  bot: RunningBot;
  /** Stops the bot and starts a new one against the same emulator, data directory and pool. */
  restart(settings?: StartBotOptions["settings"]): Promise<RunningBot>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly poolSize?: number;
  readonly settings?: StartBotOptions["settings"];
  /** Version 0 (default: the shipped model). */
  readonly modelDir?: string;
  /** Default: a new temporary directory, removed on close. */
  readonly dataDir?: string;
  /** More configuration on top of the harness's (e.g. admins, corpus); may read the emulator's ids. */
  readonly config?: StartBotOptions["config"] | ((emulator: DiscordEmulator) => StartBotOptions["config"]);
  readonly emulator?: EmulatorOptions;
  /** Heap limit of each pool worker (MB), as COMPOSE_WORKER_HEAP_MB sets it for the bot. */
  readonly workerHeapMb?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await new DiscordEmulator({ waitTimeoutMs: 20_000, ...options.emulator }).start();
  const extraConfig = typeof options.config === "function" ? options.config(emulator) : options.config;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "tunesmith-bot-"));
  const modelDir = options.modelDir ?? MODEL_DIR;
  const pool = await ComposePool.start({
    size: options.poolSize ?? 1,
    modelDir,
    modelVersion: VERSION_ZERO,
    backend: "wasm",
    ...(options.workerHeapMb ? { workerHeapMb: options.workerHeapMb } : {}),
  });
  const logs: LogLine[] = [];
  const log = capturingLogger(emulator.botToken, logs);
  const start = (settings = options.settings) =>
    startBot({
      config: {
        discordToken: emulator.botToken,
        discordApiUrl: emulator.apiUrl,
        dataDir,
        modelDir,
        tfBackend: "wasm",
        composeConcurrency: options.poolSize ?? 1,
        ...extraConfig,
      },
      ...(settings ? { settings } : {}),
      log,
      pool,
    });
  const harness: Harness = {
    emulator,
    pool,
    dataDir,
    logs,
    bot: await start(),
    async restart(settings) {
      await harness.bot.stop();
      harness.bot = await start(settings);
      return harness.bot;
    },
    async close() {
      await harness.bot.stop();
      await pool.close();
      await emulator.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // Registered the way npm run deploy-commands does it, so the emulator knows the option types.
  await registerCommands(emulator, harness.bot.commands);
  return harness;
}

let users = 0;
/** A user nobody has used yet in this process (cooldowns are per user). */
export function newUser(name = "fiddler"): UserSpec {
  users++;
  return { id: String(200_000_000_000_000_000n + BigInt(users)), username: `${name}${users}` };
}

export function field(embed: APIEmbed | undefined, name: string): string | undefined {
  return embed?.fields?.find((f) => f.name === name)?.value;
}

interface ButtonLike {
  type: number;
  custom_id?: string;
  label?: string;
  components?: ButtonLike[];
}

/** The custom id of the button whose label starts with `label`. */
export function buttonId(components: readonly APIMessageTopLevelComponent[], label: string): string {
  const buttons = (components as unknown as ButtonLike[]).flatMap((row) => row.components ?? []);
  const found = buttons.find((b) => b.label?.startsWith(label));
  if (!found?.custom_id)
    throw new Error(`no button "${label}" among ${buttons.map((b) => b.label).join(", ")}`);
  return found.custom_id;
}

export function file(seen: SeenMessage, name: string): Buffer {
  const found = seen.files.find((f) => f.name === name);
  if (!found) throw new Error(`no ${name} among ${seen.files.map((f) => f.name).join(", ")}`);
  return found.bytes;
}

/** The first message only the user could see (a refusal or an error), whichever way it was sent. */
export function privateAnswer(run: InteractionHandle, timeoutMs?: number): Promise<SeenMessage> {
  return run.waitFor(
    "an ephemeral answer",
    () => run.seen.find((s) => s.ephemeral && s.content !== ""),
    timeoutMs,
  );
}

/** The final tune message of an interaction (the edit carrying files). */
export function tuneMessage(run: InteractionHandle, timeoutMs?: number): Promise<SeenMessage> {
  return run.waitFor(
    "a message with the tune's files",
    () => {
      const refused = run.seen.find((s) => s.ephemeral && s.files.length === 0 && s.content !== "");
      if (refused && !refused.content.startsWith("Queued")) throw new Error(`refused: ${refused.content}`);
      return run.seen.find((s) => s.files.some((f) => f.name === "tune.abc"));
    },
    timeoutMs,
  );
}

/** Notes as MIDI number and exact length, to compare melodies whatever their spelling. */
export function melody(tune: Tune): string[] {
  return tune.elements.flatMap((e) =>
    e.kind === "note" ? [`${midiOf(e.pitch)}:${e.duration.n}/${e.duration.d}`] : [],
  );
}

/** Registers the commands as guild commands, the way npm run deploy-commands does, so the emulator knows the option types. */
export async function registerCommands(
  emulator: DiscordEmulator,
  commands: Parameters<typeof deployCommands>[0]["commands"],
): Promise<void> {
  await deployCommands({
    token: emulator.botToken,
    commands,
    guildId: emulator.guildId,
    apiUrl: emulator.apiUrl,
  });
}

/**
 * A debug logger whose lines land, parsed, in `logs`. It knows the bot's token, as the
 * bot's logger does when the token comes from the environment.
 */
export function capturingLogger(token: string, logs: LogLine[]) {
  return createLogger({
    level: "debug",
    secrets: [token],
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
        done();
      },
    }),
  });
}
