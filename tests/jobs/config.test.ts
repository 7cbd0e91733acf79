/** The scale-out settings: Redis, workers, model polling, shards; and the Redis password kept out of logs. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redisLocation, redisPassword } from "../../src/config.js";

function problems(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("scale-out configuration", () => {
  it("parses Redis, worker and shard settings", () => {
    const cfg = loadConfig({
      REDIS_URL: "redis://:s3cret@redis.internal:6380/2",
      REDIS_PREFIX: "tunesmith-staging",
      JOB_LOCK_MS: "2000",
      WORKER_JOBS: "retrain",
      MODEL_POLL_SECONDS: "0",
      TOTAL_SHARDS: "4",
    });
    expect(cfg).toMatchObject({
      redisUrl: "redis://:s3cret@redis.internal:6380/2",
      redisPrefix: "tunesmith-staging",
      jobLockMs: 2000,
      workerJobs: ["retrain"],
      modelPollSeconds: 0,
      totalShards: 4,
    });
    expect(loadConfig({ WORKER_JOBS: "compose, retrain,compose" }).workerJobs).toEqual([
      "compose",
      "retrain",
    ]);
    expect(loadConfig({ TOTAL_SHARDS: "auto", REDIS_URL: "rediss://cache:6379" })).toMatchObject({
      totalShards: "auto",
      redisUrl: "rediss://cache:6379",
    });
  });

  it("names every bad value, without echoing a Redis URL (it may hold a password)", () => {
    expect(
      problems({
        REDIS_URL: "http://:hunter2@cache:6379",
        REDIS_PREFIX: "has space",
        JOB_LOCK_MS: "10",
        WORKER_JOBS: "compose,paint",
        MODEL_POLL_SECONDS: "-1",
        TOTAL_SHARDS: "0",
      }),
    ).toEqual([
      "REDIS_URL (value hidden: it may hold a password) has protocol http:; expected a redis:// or rediss:// URL",
      `REDIS_PREFIX="has space" is not 1-64 letters, digits, '_', '.' or '-'`,
      'JOB_LOCK_MS="10" is not an integer from 500 to 600000',
      'WORKER_JOBS="compose,paint" is not a comma-separated list of compose, retrain',
      'MODEL_POLL_SECONDS="-1" is not an integer from 0 to 3600',
      'TOTAL_SHARDS="0" is not an integer from 1 to 10000',
    ]);
  });

  it("finds the Redis password for log scrubbing and shows the location without it", () => {
    expect(redisPassword("redis://:p%40ss@cache:6379")).toBe("p@ss");
    expect(redisPassword("redis://user:pw@cache:6379")).toBe("pw");
    expect(redisPassword("redis://cache:6379")).toBeUndefined();
    expect(redisPassword(undefined)).toBeUndefined();
    expect(redisLocation("redis://user:pw@cache:6379/3")).toBe("redis://cache:6379/3");
    expect(redisLocation("redis://cache:6379")).toBe("redis://cache:6379");
  });
});
