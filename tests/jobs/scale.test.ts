/**
 * Scale-out end to end, through the Discord emulator with the real discord.js Client: the
 * bot with REDIS_URL set (no composer of its own) and two `npm run worker` processes on a
 * real redis-server serve 50 /compose requests from 50 users. One worker is SIGKILLed while
 * it composes; its job's lock lapses, the other worker's stalled-job check puts the job
 * back, and it is composed again: every user gets a tune, nobody gets an error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot/start.js";
import { createLogger } from "../../src/log.js";
import { field, MODEL_DIR, newUser, tuneMessage } from "../bot/harness.js";
import type { DiscordEmulator, SeenMessage } from "../discord/emulator.js";
import { type RedisServer, startRedis, warnIfNoRedis } from "../helpers/redis.js";
import { type RedisDeployment, startRedisDeployment } from "./deployment.js";
import type { ScriptProcess } from "./processes.js";

const noRedis = warnIfNoRedis("tests/jobs/scale.test.ts");
const REQUESTS = 50;
/** Short, so the killed worker's job is retried within seconds (the default is 30 s). */
const LOCK_MS = 2500;

describe.skipIf(noRedis)("a bot and two worker processes on Redis", () => {
  let redis: RedisServer;
  let emulator: DiscordEmulator;
  let bot: RunningBot;
  let dataDir: string;
  let workers: RedisDeployment["workers"];
  let deployment: RedisDeployment | undefined;
  const botLogs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-scale-"));
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      MODEL_DIR,
      TF_BACKEND: "wasm",
      COMPOSE_CONCURRENCY: "1",
      JOB_LOCK_MS: String(LOCK_MS),
      WORKER_JOBS: "compose",
      LOG_LEVEL: "debug",
    };
    deployment = await startRedisDeployment({
      workerEnv: env,
      bot: {
        config: {
          dataDir,
          modelDir: MODEL_DIR,
          tfBackend: "wasm",
          redisUrl: redis.url,
          redisPrefix: "tunesmith",
        },
        log: createLogger({
          level: "debug",
          destination: new Writable({
            write(chunk, _encoding, done) {
              for (const line of String(chunk).split("\n").filter(Boolean)) botLogs.push(JSON.parse(line));
              done();
            },
          }),
        }),
      },
    });
    ({ emulator, bot, workers } = deployment);
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves 50 /compose requests; a worker SIGKILLed mid-job loses no job and every user gets a tune", async () => {
    expect(bot.pool).toBeUndefined();
    expect(bot.jobs.kind).toBe("redis");
    const [victim, survivor] = workers as [
      ScriptProcess & { name: string },
      ScriptProcess & { name: string },
    ];
    const answered = new Set<number>();
    // Kill the victim the moment it starts a job once a fifth of the users have their tune.
    let lost: string | undefined;
    victim.onLog((line) => {
      if (lost !== undefined || line.msg !== "job started" || answered.size < REQUESTS / 5) return;
      lost = String(line.job);
      victim.child.kill("SIGKILL");
    });

    const runs = Array.from({ length: REQUESTS }, () =>
      emulator.slash("compose", { user: newUser("crowd"), options: { bars: 4 } }),
    );
    const tunes: SeenMessage[] = await Promise.all(
      runs.map((run, i) =>
        tuneMessage(run, 120_000).then((message) => {
          answered.add(i);
          return message;
        }),
      ),
    );

    expect(await victim.exit).toMatchObject({ signal: "SIGKILL" });
    expect(lost).toMatch(/^compose-\d+$/);
    // Every user: a tune with all its files, and no error message anywhere.
    for (const [i, tune] of tunes.entries()) {
      expect(tune.files.map((f) => f.name).sort()).toEqual(["score.png", "tune.abc", "tune.mid", "tune.ogg"]);
      expect(field(tune.embeds[0], "Bars")).toBe("4");
      expect(runs[i]?.seen.some((s) => /went wrong|try again/i.test(s.content))).toBe(false);
    }
    // The job the victim was composing when it died was composed again, by the survivor.
    const redone = survivor.logs.filter((l) => l.msg === "job done" && l.job === lost);
    expect(redone).toHaveLength(1);
    // Both workers did a share of the work, and between them every one of the 50 jobs.
    const done = (w: ScriptProcess) => w.logs.filter((l) => l.msg === "job done").map((l) => String(l.job));
    expect(done(victim).length).toBeGreaterThan(0);
    expect(new Set([...done(victim), ...done(survivor)]).size).toBe(REQUESTS);
    expect(botLogs.filter((l) => l.level === 50)).toEqual([]);
    // The survivor stops cleanly when asked.
    survivor.child.kill("SIGTERM");
    expect(await survivor.exit).toEqual({ code: 0, signal: null });
    expect(survivor.logs.map((l) => l.msg)).toContain("stopped");
  }, 180_000);
});
