/**
 * A scale-out deployment for the end-to-end tests: a fresh Discord emulator, two
 * `npm run worker` processes and the bot with REDIS_URL, started the way an operator would
 * (workers first), with the commands registered. Redis itself is the test's.
 */
import { type RunningBot, type StartBotOptions, startBot } from "../../src/bot/start.js";
import { registerCommands } from "../bot/harness.js";
import { DiscordEmulator } from "../discord/emulator.js";
import { type ScriptProcess, startWorker, stopProcess } from "./processes.js";

export interface RedisDeployment {
  readonly emulator: DiscordEmulator;
  readonly bot: RunningBot;
  readonly workers: (ScriptProcess & { name: string })[];
  /** Stops the bot, the workers and the emulator. */
  stop(): Promise<void>;
}

export async function startRedisDeployment(options: {
  /** The workers' environment (REDIS_URL, DATA_DIR, MODEL_DIR…). */
  readonly workerEnv: Record<string, string>;
  /** The bot's; the emulator's token and URL are added. */
  readonly bot: StartBotOptions;
}): Promise<RedisDeployment> {
  const emulator = await new DiscordEmulator({ waitTimeoutMs: 60_000 }).start();
  const workers: (ScriptProcess & { name: string })[] = [];
  let bot: RunningBot | undefined;
  const stop = async () => {
    await bot?.stop();
    await Promise.all(workers.map((w) => stopProcess(w)));
    await emulator.close();
  };
  try {
    workers.push(...(await Promise.all([startWorker(options.workerEnv), startWorker(options.workerEnv)])));
    bot = await startBot({
      ...options.bot,
      config: { ...options.bot.config, discordToken: emulator.botToken, discordApiUrl: emulator.apiUrl },
    });
    await registerCommands(emulator, bot.commands);
    return { emulator, bot, workers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
