/** A bot pointed at a Redis that is not there says so at startup instead of waiting forever. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RedisJobQueue } from "../../src/jobs/bullmq.js";
import { RedisUnreachableError } from "../../src/jobs/redis.js";
import { createLogger } from "../../src/log.js";
import { MODEL_DIR } from "../bot/harness.js";
import { freePort } from "../helpers/redis.js";

describe("an unreachable Redis", () => {
  it("fails the bot's start with the address (without the password)", async () => {
    const port = await freePort(); // nothing listens there
    const error = await RedisJobQueue.connect({
      url: `redis://:hunter2@127.0.0.1:${port}`,
      prefix: "tunesmith",
      source: { modelDir: MODEL_DIR, modelVersion: "0" },
      log: createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, done) => done() }) }),
      connectTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnreachableError);
    expect((error as Error).message).toBe(`cannot reach Redis at redis://127.0.0.1:${port} (waited 0.3 s)`);
  });
});
