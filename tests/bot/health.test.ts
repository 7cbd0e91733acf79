/**
 * HEALTH_PORT: /healthz and /readyz of the bot and of a worker, through the emulator with
 * the real discord.js Client. The bot is alive but not ready while its gateway connection
 * is not up (the emulator holds back GET /gateway/bot), ready once it is; with Redis, the
 * bot and the worker are not ready while Redis does not answer, and ready again after.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBot, startBot } from "../../src/bot/start.js";
import { ComposePool } from "../../src/compose/pool.js";
import { loadConfig } from "../../src/config.js";
import { type RunningJobWorker, startJobWorker } from "../../src/jobs/redis-worker.js";
import { createLogger } from "../../src/log.js";
import { VERSION_ZERO } from "../../src/versions/version-ids.js";
import { DiscordEmulator } from "../discord/emulator.js";
import { freePort, type RedisServer, redisSkipReason, startRedis } from "../helpers/redis.js";
import { MODEL_DIR } from "./harness.js";

const quiet = () =>
  createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, done) => done() }) });

interface Probe {
  status: number;
  body: { alive?: boolean; ready?: boolean; checks?: Record<string, string> };
}

async function probe(port: number, route: "/healthz" | "/readyz"): Promise<Probe> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`);
  return { status: response.status, body: (await response.json()) as Probe["body"] };
}

let dataDir: string;
let pool: ComposePool;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-health-"));
  pool = await ComposePool.start({
    size: 1,
    modelDir: MODEL_DIR,
    modelVersion: VERSION_ZERO,
    backend: "wasm",
  });
}, 60_000);
afterAll(async () => {
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the bot's health endpoints", () => {
  it("/healthz answers from the start; /readyz is 503 until the gateway is up, then 200 with every check ok", async () => {
    const emulator = await new DiscordEmulator().start();
    const port = await freePort();
    // discord.js asks GET /gateway/bot before it connects: holding that back holds the gateway.
    emulator.faults.delay({ route: "gateway.bot" }, 3_000);
    let bot: RunningBot | undefined;
    const starting = startBot({
      config: {
        discordToken: emulator.botToken,
        discordApiUrl: emulator.apiUrl,
        dataDir,
        modelDir: MODEL_DIR,
        healthPort: port,
        healthHost: "127.0.0.1",
      },
      pool,
      log: quiet(),
    });
    try {
      await expect
        .poll(() => probe(port, "/healthz").catch(() => undefined), { timeout: 10_000 })
        .toMatchObject({
          status: 200,
          body: { alive: true },
        });
      const early = await probe(port, "/readyz");
      expect(early.status).toBe(503);
      expect(early.body.ready).toBe(false);
      expect(early.body.checks?.gateway).toMatch(/^not connected/);

      bot = await starting;
      expect(bot.health?.port).toBe(port);
      expect(await probe(port, "/readyz")).toEqual({
        status: 200,
        body: { ready: true, checks: { gateway: "ok", model: "ok", queue: "ok", store: "ok" } },
      });
      const unknown = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(unknown.status).toBe(404);
    } finally {
      await (bot ?? (await starting.catch(() => undefined)))?.stop();
      await emulator.close();
    }
    // Stopped: nothing listens any more.
    await expect(probe(port, "/healthz")).rejects.toThrow();
  });
});

describe.skipIf(redisSkipReason !== undefined)("with Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it("the bot and the worker are not ready while Redis does not answer, and ready again when it does", async () => {
    const emulator = await new DiscordEmulator().start();
    const [botPort, workerPort] = [await freePort(), await freePort()];
    const workerConfig = loadConfig({
      REDIS_URL: redis.url,
      REDIS_PREFIX: "health",
      DATA_DIR: dataDir,
      MODEL_DIR,
      TF_BACKEND: "wasm",
      COMPOSE_CONCURRENCY: "1",
      WORKER_JOBS: "compose,retrain",
      MODEL_POLL_SECONDS: "0",
      HEALTH_PORT: String(workerPort),
    });
    let worker: RunningJobWorker | undefined;
    let bot: RunningBot | undefined;
    try {
      worker = await startJobWorker({ config: workerConfig, log: quiet() });
      bot = await startBot({
        config: {
          discordToken: emulator.botToken,
          discordApiUrl: emulator.apiUrl,
          dataDir,
          modelDir: MODEL_DIR,
          redisUrl: redis.url,
          redisPrefix: "health",
          modelPollSeconds: 0,
          healthPort: botPort,
          healthHost: "127.0.0.1",
        },
        log: quiet(),
      });
      expect(await probe(botPort, "/readyz")).toMatchObject({ status: 200, body: { ready: true } });
      expect(await probe(workerPort, "/readyz")).toEqual({
        status: 200,
        body: { ready: true, checks: { worker: "ok", redis: "ok", model: "ok", store: "ok" } },
      });

      redis.pause();
      const botDown = await probe(botPort, "/readyz");
      expect(botDown.status).toBe(503);
      expect(botDown.body.checks).toMatchObject({ gateway: "ok", store: "ok" });
      expect(botDown.body.checks?.queue).toMatch(/^Redis /);
      const workerDown = await probe(workerPort, "/readyz");
      expect(workerDown.status).toBe(503);
      expect(workerDown.body.checks?.redis).toMatch(/^Redis /);
      // Alive all the same: a process manager must not restart a bot for Redis's sake.
      expect((await probe(botPort, "/healthz")).status).toBe(200);

      redis.resume();
      await expect.poll(async () => (await probe(botPort, "/readyz")).status, { timeout: 10_000 }).toBe(200);
      await expect
        .poll(async () => (await probe(workerPort, "/readyz")).status, { timeout: 10_000 })
        .toBe(200);
    } finally {
      redis.resume();
      await bot?.stop();
      await worker?.stop();
      await emulator.close();
    }
  });
});
