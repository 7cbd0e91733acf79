/**
 * Graceful shutdown under load, with the bot owning its compose pool as `npm start` does:
 * stop() while one tune is being composed and three wait in the queue. The running one is
 * finished and delivered; the queued ones are told the bot is restarting (their public
 * "Queued…" message removed); an interaction arriving during the shutdown is refused the
 * same way; then the gateway closes. Nobody is left without an answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBot, startBot } from "../../src/bot/start.js";
import { DiscordEmulator } from "../discord/emulator.js";
import {
  capturingLogger,
  type LogLine,
  MODEL_DIR,
  newUser,
  privateAnswer,
  registerCommands,
  tuneMessage,
} from "./harness.js";

let emulator: DiscordEmulator;
let bot: RunningBot;
let dataDir: string;
const logs: LogLine[] = [];

beforeAll(async () => {
  emulator = await new DiscordEmulator({ waitTimeoutMs: 30_000 }).start();
  dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-shutdown-"));
  const log = capturingLogger(emulator.botToken, logs);
  // No pool passed in: the bot starts and owns one, as in production.
  bot = await startBot({
    config: {
      discordToken: emulator.botToken,
      discordApiUrl: emulator.apiUrl,
      dataDir,
      modelDir: MODEL_DIR,
      tfBackend: "wasm",
      composeConcurrency: 1,
    },
    log,
  });
  await registerCommands(emulator, bot.commands);
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await emulator?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const RESTARTING = "I'm restarting; please try again in a minute.";

describe("stopping the bot under load", () => {
  it("finishes the tune in progress, tells the queued and the late that it is restarting, then disconnects", async () => {
    const pool = bot.pool;
    if (!pool) throw new Error("the bot should have started its own compose pool");
    const running = emulator.slash("compose", { options: { bars: 64 }, user: newUser() });
    await expect.poll(() => pool.running, { timeout: 10_000 }).toBe(1);
    const queued = [1, 2, 3].map(() => emulator.slash("compose", { options: { bars: 8 }, user: newUser() }));
    for (const [i, run] of queued.entries())
      expect((await run.edit(0)).content).toMatch(new RegExp(`^Queued — ${i + 1} tunes? ahead of yours`));

    const stopped = bot.stop();
    const late = emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    await stopped;

    expect((await tuneMessage(running)).files).toHaveLength(4);
    for (const run of queued) {
      const answer = await privateAnswer(run);
      expect(answer).toMatchObject({ kind: "followup", ephemeral: true, content: RESTARTING });
      expect(run.deletions).toHaveLength(1);
      expect(run.seen.some((s) => s.files.length > 0)).toBe(false);
    }
    expect(await privateAnswer(late)).toMatchObject({ kind: "reply", ephemeral: true, content: RESTARTING });

    const outcomes = logs.filter((l) => l.msg === "command").map((l) => l.outcome);
    expect(outcomes.sort()).toEqual(["ok", "refused", "refused", "refused", "shutting-down"]);
    expect(logs.some((l) => l.msg === "stopping with interactions still running")).toBe(false);
    expect(logs.at(-1)?.msg).toBe("stopped");
    // Closing the gateway on the way out is not reported as trouble.
    expect(logs.filter((l) => /^gateway (disconnected|reconnecting)/.test(String(l.msg)))).toEqual([]);
    expect(emulator.gateway.connected).toBe(false);
    expect(pool.running + pool.waiting).toBe(0);
  });
});
