/**
 * Retraining through the job queue, end to end: the bot with REDIS_URL and two worker
 * processes sharing DATA_DIR. `/admin retrain` becomes a job; one worker runs it (the
 * retraining child under it), its progress comes back through job.updateProgress and is
 * edited into the admin's message, the new version is promoted, and the *other* worker —
 * which never looks at the pointer on its own here (MODEL_POLL_SECONDS=0) — reloads on the
 * pub/sub message and composes with it. The model and corpus are the tiny fixtures of
 * tests/retrain (a 1×16 model), so the run takes seconds.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot/start.js";
import { createLogger } from "../../src/log.js";
import { initBackend } from "../../src/model/backend.js";
import { openStore } from "../../src/store/store.js";
import { ModelVersions } from "../../src/versions/model-versions.js";
import { VERSION_ZERO } from "../../src/versions/version-ids.js";
import { field, newUser, tuneMessage } from "../bot/harness.js";
import { type DiscordEmulator, opt } from "../discord/emulator.js";
import { type RedisServer, startRedis, warnIfNoRedis } from "../helpers/redis.js";
import { approveSubmissions, type Fixture, makeFixture } from "../retrain/fixtures.js";
import { type RedisDeployment, startRedisDeployment } from "./deployment.js";
import type { ScriptProcess } from "./processes.js";

const noRedis = warnIfNoRedis("tests/jobs/retrain-workers.test.ts");
const STEPS = 30;

describe.skipIf(noRedis)("retraining on a worker process", () => {
  let fx: Fixture;
  let redis: RedisServer;
  let emulator: DiscordEmulator;
  let bot: RunningBot;
  const admin = newUser("admin");
  let workers: RedisDeployment["workers"];
  let deployment: RedisDeployment | undefined;

  beforeAll(async () => {
    await initBackend("cpu");
    fx = await makeFixture();
    const store = openStore(fx.dataDir);
    approveSubmissions(store, 6);
    store.close();
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: fx.dataDir,
      MODEL_DIR: fx.modelDir,
      CORPUS_DIR: fx.corpusDir,
      TF_BACKEND: "cpu",
      COMPOSE_CONCURRENCY: "1",
      RETRAIN_BATCH_SIZE: "4",
      RETRAIN_SEQ_LEN: "32",
      // Only the pub/sub message can move a worker to a new version.
      MODEL_POLL_SECONDS: "0",
      LOG_LEVEL: "debug",
    };
    deployment = await startRedisDeployment({
      workerEnv: env,
      bot: {
        config: {
          dataDir: fx.dataDir,
          modelDir: fx.modelDir,
          corpusDir: fx.corpusDir,
          tfBackend: "cpu",
          redisUrl: redis.url,
          adminUserIds: [admin.id as string],
          modelPollSeconds: 0,
          composeCooldownSeconds: 0,
        },
        settings: { retrainProgressMs: 50 },
        log: createLogger({
          level: "silent",
          destination: new Writable({ write: (_c, _e, done) => done() }),
        }),
      },
    });
    ({ emulator, bot, workers } = deployment);
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await redis?.stop();
    fx?.cleanup();
  });

  it("/admin retrain runs on a worker, relays its progress, promotes; the other worker reloads on pub/sub and composes with it", async () => {
    for (const worker of workers)
      expect(worker.logs.find((l) => l.msg === "worker ready")?.version).toBe(VERSION_ZERO);
    const run = emulator.slash("admin retrain", {
      user: admin,
      options: { steps: opt.integer(STEPS), learning_rate: opt.number(0.02) },
    });
    const result = await run.waitFor(
      "the retraining result",
      () => run.edits.find((e) => /^Retraining run #\d+: /.test(e.embeds[0]?.title ?? "")),
      120_000,
    );
    // Progress came from the worker's child, through job.updateProgress and QueueEvents.
    const progress = run.edits.filter((e) =>
      new RegExp(`step \\d+/${STEPS}`).test(e.embeds[0]?.description ?? ""),
    );
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const embed = result.embeds[0];
    expect(embed?.title).toMatch(/: succeeded$/);
    expect(embed?.description).toMatch(/^Promoted: version \*\*v1-\d{14}\*\*/);
    const version = /v1-\d{14}/.exec(embed?.description ?? "")?.[0] as string;

    const trainer = workers.find((w) => w.logs.some((l) => l.msg === "retraining finished"));
    const other = workers.find((w) => w !== trainer);
    expect(trainer?.logs.find((l) => l.msg === "retraining finished")).toMatchObject({ promoted: true });
    if (!other) throw new Error("both workers claim the run");
    expect(other.logs.some((l) => l.msg === "retraining started")).toBe(false);
    // The other worker moved to the new version: told by pub/sub (it does not poll here).
    await other.waitForLog(
      "the other worker's reload",
      (l) => l.msg === "now composing with another model version" && l.to === version,
    );
    expect(other.logs.some((l) => l.msg === "the active model version may have changed")).toBe(true);

    // Compositions until the other worker has made some: all with the new version.
    const doneBy = (w: ScriptProcess) => w.logs.filter((l) => l.msg === "job done" && l.version === version);
    for (let round = 0; round < 10 && doneBy(other).length === 0; round++) {
      const tunes = await Promise.all(
        [1, 2, 3, 4].map(() =>
          tuneMessage(
            emulator.slash("compose", { user: newUser(), options: { style: "jig", bars: 4 } }),
            60_000,
          ),
        ),
      );
      for (const tune of tunes) expect(field(tune.embeds[0], "Model")).toContain(`version ${version}`);
    }
    expect(doneBy(other).length).toBeGreaterThan(0);
    expect(bot.jobs.model.version).toBe(version);
  }, 180_000);

  it("/admin model rollback on the bot moves both workers back (the bot publishes the change)", async () => {
    const current = bot.jobs.model.version;
    expect(current).not.toBe(VERSION_ZERO);
    const run = emulator.slash("admin model rollback", { user: admin, options: {} });
    const answer = await run.waitFor("the rollback's answer", () =>
      run.seen.find((s) => s.content.startsWith("Now composing")),
    );
    expect(answer.content).toContain(`Now composing with version **${VERSION_ZERO}** (was ${current})`);
    for (const worker of workers)
      await worker.waitForLog(
        "the worker's move back to version 0",
        (l) => l.msg === "now composing with another model version" && l.to === VERSION_ZERO,
      );
    const tune = await tuneMessage(
      emulator.slash("compose", { user: newUser(), options: { style: "jig", bars: 4 } }),
      60_000,
    );
    expect(field(tune.embeds[0], "Model")).toBe(`tiny, version ${VERSION_ZERO}`);
  }, 60_000);

  it("stopping the bot cancels a run a worker is doing (pub/sub): recorded as failed, nothing activated", async () => {
    approveSubmissions(bot.store, 6, 10); // the first run used some of the others
    const run = emulator.slash("admin retrain", { user: admin, options: { steps: opt.integer(100_000) } });
    await run.waitFor(
      "a training progress edit from the worker",
      () => run.edits.find((e) => /step [1-9]\d*\/100000.*loss \d/s.test(e.embeds[0]?.description ?? "")),
      30_000,
    );
    await bot.stop();
    const trainer = workers.find((w) => w.logs.some((l) => l.msg === "retraining cancelled by the bot"));
    expect(trainer?.logs.at(-1)).toMatchObject({
      msg: "retraining finished",
      status: "failed",
      promoted: false,
    });
    const result = run.edits.at(-1)?.embeds[0];
    expect(result?.title).toMatch(/^Retraining run #\d+: failed$/);
    const store = openStore(fx.dataDir);
    try {
      const last = store.latestRuns(1)[0];
      expect(last).toMatchObject({ status: "failed" });
      expect(last?.result?.error).toMatch(/cancel/i);
      expect(new ModelVersions({ dataDir: fx.dataDir, baseModelDir: fx.modelDir }).activeVersion().id).toBe(
        VERSION_ZERO,
      );
    } finally {
      store.close();
    }
  }, 60_000);
});
