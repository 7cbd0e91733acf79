import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Shard, ShardingManager } from "discord.js";
import type { Logger } from "pino";
import type { Config } from "../config.js";

/**
 * `npm run start:sharded`: the gateway split over several processes with discord.js's
 * ShardingManager. Each shard is a whole `npm start` (src/bot/main.ts) for its share of the
 * guilds; discord.js hands each process its shard ids (SHARDS, SHARD_COUNT). Set REDIS_URL
 * so the shards share worker processes rather than each composing on its own threads, and
 * DISCORD_API_URL to a REST proxy so they share one view of Discord's rate limits.
 */
export const SHARD_FILE = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Discord asks for at most one IDENTIFY per 5 s per bucket; discord.js's default pause. */
export const SPAWN_DELAY_MS = 5_500;

export interface ShardedOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Pause between two shards' start (ms). */
  readonly spawnDelayMs?: number;
  /** How long one shard may take to be ready (ms). */
  readonly readyTimeoutMs?: number;
}

export interface ShardedBot {
  readonly manager: ShardingManager;
  readonly totalShards: number;
  /** Starts the shards one after another; resolves when every one is ready. */
  spawn(): Promise<void>;
  /** SIGTERM to every shard (each finishes its work in progress), no respawning; waits for them. */
  stop(): Promise<void>;
}

export async function createSharded(options: ShardedOptions): Promise<ShardedBot> {
  const { config: cfg, log } = options;
  const token = cfg.discordToken;
  if (!token) throw new Error("DISCORD_TOKEN is not set");
  // discord.js would ask discord.com itself for "auto"; with DISCORD_API_URL we ask that server.
  const totalShards =
    cfg.totalShards === "auto" && cfg.discordApiUrl
      ? await recommendedShards(cfg.discordApiUrl, token)
      : cfg.totalShards;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const manager = new ShardingManager(SHARD_FILE, {
    token,
    totalShards,
    mode: "process",
    respawn: true,
    // The shards run the TypeScript sources, as `npm start` does.
    execArgv: ["--import", tsx],
  });
  manager.on("shardCreate", (shard: Shard) => {
    log.info({ shard: shard.id, of: manager.totalShards }, "shard starting");
    shard.on("ready", () => log.info({ shard: shard.id }, "shard ready"));
    shard.on("death", (child) => {
      const code = "exitCode" in child ? child.exitCode : undefined;
      // A shard that stops cleanly because we asked it to is not news worth a warning.
      const level = code === 0 && !manager.respawn ? "info" : "warn";
      log[level]({ shard: shard.id, code, respawn: manager.respawn }, "shard process exited");
    });
    shard.on("error", (error) => log.error({ err: error, shard: shard.id }, "shard error"));
  });
  const spawn = async () => {
    await manager.spawn({
      delay: options.spawnDelayMs ?? SPAWN_DELAY_MS,
      timeout: options.readyTimeoutMs ?? 120_000,
    });
    log.info({ shards: manager.totalShards }, "every shard is ready");
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      manager.respawn = false;
      await Promise.all(
        [...manager.shards.values()].map(
          (shard) =>
            new Promise<void>((resolve) => {
              const child = shard.process;
              if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
        ),
      );
      log.info("every shard has stopped");
    })();
    return stopping;
  };
  return { manager, totalShards: manager.totalShards as number, spawn, stop };
}

/** Discord's recommended shard count, from GET /gateway/bot on `apiUrl` (a proxy or the emulator). */
export async function recommendedShards(apiUrl: string, token: string): Promise<number> {
  const url = `${apiUrl.replace(/\/+$/, "")}/v10/gateway/bot`;
  const response = await fetch(url, { headers: { Authorization: `Bot ${token}` } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
  const body = (await response.json()) as { shards?: unknown };
  if (typeof body.shards !== "number" || !Number.isInteger(body.shards) || body.shards < 1)
    throw new Error(`GET ${url} gave no shard count`);
  return body.shards;
}
