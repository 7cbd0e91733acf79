/**
 * `npm run start:sharded` as a process against the emulator: the ShardingManager starts two
 * shard processes (each a whole `npm start`), which IDENTIFY as shards [0, 2] and [1, 2]; the
 * sharded bot answers /compose; SIGTERM stops every shard and the manager exits 0. And
 * TOTAL_SHARDS=auto asks the server DISCORD_API_URL names, not discord.com.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCommands } from "../../src/bot/loader.js";
import { recommendedShards } from "../../src/bot/shards.js";
import { initBackend } from "../../src/model/backend.js";
import { REPO_ROOT, registerCommands, tuneMessage } from "../bot/harness.js";
import { DiscordEmulator } from "../discord/emulator.js";
import { type Fixture, makeFixture } from "../retrain/fixtures.js";
import { startScript } from "./processes.js";

const SCRIPT = `${REPO_ROOT}/scripts/start-sharded.ts`;

let fx: Fixture;
let emulator: DiscordEmulator;

beforeAll(async () => {
  await initBackend("cpu");
  fx = await makeFixture();
  emulator = await new DiscordEmulator({ waitTimeoutMs: 60_000 }).start();
}, 30_000);

afterAll(async () => {
  await emulator?.close();
  fx?.cleanup();
});

describe("npm run start:sharded", () => {
  it("runs two shard processes that IDENTIFY as [0, 2] and [1, 2], serves /compose, and stops on SIGTERM", async () => {
    const manager = startScript(SCRIPT, ["--spawn-delay", "0"], {
      DISCORD_TOKEN: emulator.botToken,
      DISCORD_API_URL: emulator.apiUrl,
      DATA_DIR: fx.dataDir,
      MODEL_DIR: fx.modelDir,
      TF_BACKEND: "cpu",
      COMPOSE_CONCURRENCY: "1",
      TOTAL_SHARDS: "2",
      LOG_LEVEL: "debug",
    });
    try {
      await manager.waitForLog("every shard ready", (l) => l.msg === "every shard is ready", 90_000);
      const shards = emulator.gateway.identifies.map((i) => i.shard as number[]);
      expect(shards.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([
        [0, 2],
        [1, 2],
      ]);
      // Each shard logs it just after telling the manager it is ready.
      const connected = await Promise.all(
        [0, 1].map((id) =>
          manager.waitForLog(
            `shard ${id} connected`,
            (l) => l.msg === "connected to Discord" && String(l.shards) === String(id),
          ),
        ),
      );
      expect(connected.map((l) => l.shards).sort()).toEqual([[0], [1]]);
      expect(connected.every((l) => l.of === 2)).toBe(true);

      await registerCommands(emulator, await loadCommands());
      const tune = await tuneMessage(
        emulator.slash("compose", { options: { style: "jig", bars: 4 } }),
        60_000,
      );
      expect(tune.files).toHaveLength(4);

      manager.child.kill("SIGTERM");
      expect(await manager.exit).toEqual({ code: 0, signal: null });
      expect(manager.logs.filter((l) => l.msg === "stopped")).toHaveLength(2);
      expect(manager.logs.some((l) => l.msg === "every shard has stopped")).toBe(true);
      expect(manager.logs.some((l) => l.msg === "shard process exited" && l.respawn === true)).toBe(false);
      // Shards stopped on purpose exit 0: logged, not warned about (pino level 40 = warn).
      const exits = manager.logs.filter((l) => l.msg === "shard process exited");
      expect(exits.length).toBeGreaterThan(0);
      expect(exits.every((l) => l.code === 0 && Number(l.level) < 40)).toBe(true);
    } finally {
      if (manager.child.exitCode === null && manager.child.signalCode === null) {
        manager.child.kill("SIGKILL");
        await manager.exit;
      }
    }
  }, 120_000);

  it("with TOTAL_SHARDS=auto asks DISCORD_API_URL's /gateway/bot for the count", async () => {
    expect(await recommendedShards(emulator.apiUrl, emulator.botToken)).toBe(1);
  });
});
