import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { thrownBy } from "./helpers/thrown.js";

const TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-token-value_0123456789";

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  return thrownBy(() => loadConfig(env), ConfigError);
}

describe("loadConfig", () => {
  it("returns defaults for an empty environment", () => {
    expect(loadConfig({})).toEqual({
      discordToken: undefined,
      discordClientId: undefined,
      discordGuildId: undefined,
      discordApiUrl: undefined,
      dataDir: path.resolve("data"),
      modelDir: path.resolve("models/folk-styles-2x256"),
      logLevel: "info",
      nodeEnv: "development",
      tfBackend: "auto",
      adminUserIds: [],
      adminRoleIds: [],
      composeConcurrency: 2,
      composeCooldownSeconds: 10,
      maxAttachmentBytes: 1_048_576,
      maxSeedNotes: 2000,
      maxSeedBars: 128,
      maxRequestBars: 64,
      maxTokensPerBar: 48,
      maxConcurrentDownloads: 4,
      composeMaxQueue: 50,
      composeWorkerHeapMb: 512,
      corpusDir: path.resolve("../shared/corpus"),
      modelKeepVersions: 5,
      retrainSteps: 200,
      retrainToleranceBits: 0.02,
      retrainBatchSize: 32,
      retrainSeqLen: 128,
      redisUrl: undefined,
      redisPrefix: "tunesmith",
      jobLockMs: 30_000,
      workerJobs: ["compose", "retrain"],
      modelPollSeconds: 5,
      totalShards: "auto",
      seedRetentionDays: 30,
      healthPort: undefined,
      healthHost: "127.0.0.1",
    });
  });

  it("treats empty and blank strings as unset", () => {
    const cfg = loadConfig({
      LOG_LEVEL: "",
      COMPOSE_CONCURRENCY: "  ",
      DISCORD_CLIENT_ID: "",
      DISCORD_TOKEN: "",
    });
    expect(cfg.logLevel).toBe("info");
    expect(cfg.composeConcurrency).toBe(2);
    expect(cfg.discordClientId).toBeUndefined();
    expect(cfg.discordToken).toBeUndefined();
  });

  it("parses valid values", () => {
    const cfg = loadConfig({
      DISCORD_TOKEN: TOKEN,
      DISCORD_CLIENT_ID: "123456789012345678",
      DISCORD_GUILD_ID: "98765432109876543",
      DISCORD_API_URL: "http://localhost:8080/api",
      DATA_DIR: "/var/lib/tunesmith",
      MODEL_DIR: "models/reels",
      LOG_LEVEL: "debug",
      NODE_ENV: "production",
      TF_BACKEND: "wasm",
      COMPOSE_CONCURRENCY: "16",
      MAX_ATTACHMENT_BYTES: "4096",
      MAX_SEED_NOTES: "50",
      MAX_SEED_BARS: "32",
      MAX_REQUEST_BARS: "24",
      MAX_TOKENS_PER_BAR: "20",
      MAX_CONCURRENT_DOWNLOADS: "2",
      COMPOSE_MAX_QUEUE: "0",
      COMPOSE_WORKER_HEAP_MB: "256",
      CORPUS_DIR: "/srv/corpus",
      RETRAIN_STEPS: "300",
      RETRAIN_TOLERANCE_BITS: "0.05",
      RETRAIN_BATCH_SIZE: "16",
      RETRAIN_SEQ_LEN: "64",
    });
    expect(cfg.discordToken).toBe(TOKEN);
    expect(cfg.discordClientId).toBe("123456789012345678");
    expect(cfg.discordGuildId).toBe("98765432109876543");
    expect(cfg.discordApiUrl).toBe("http://localhost:8080/api");
    expect(cfg.dataDir).toBe("/var/lib/tunesmith");
    expect(cfg.modelDir).toBe(path.resolve("models/reels"));
    expect(cfg.logLevel).toBe("debug");
    expect(cfg.nodeEnv).toBe("production");
    expect(cfg.tfBackend).toBe("wasm");
    expect(cfg.composeConcurrency).toBe(16);
    expect(cfg.maxAttachmentBytes).toBe(4096);
    expect(cfg.maxSeedNotes).toBe(50);
    expect(cfg.maxSeedBars).toBe(32);
    expect(cfg.maxRequestBars).toBe(24);
    expect(cfg.maxTokensPerBar).toBe(20);
    expect(cfg.maxConcurrentDownloads).toBe(2);
    expect(cfg.composeMaxQueue).toBe(0);
    expect(cfg.composeWorkerHeapMb).toBe(256);
    expect(cfg.corpusDir).toBe("/srv/corpus");
    expect(cfg.retrainSteps).toBe(300);
    expect(cfg.retrainToleranceBits).toBe(0.05);
    expect(cfg.retrainBatchSize).toBe(16);
    expect(cfg.retrainSeqLen).toBe(64);
  });

  it("parses comma-separated ID lists, trimming, skipping empties and duplicates", () => {
    const cfg = loadConfig({
      ADMIN_USER_IDS: " 123456789012345678, 223456789012345678 ,,123456789012345678,",
      ADMIN_ROLE_IDS: "12345678901234567",
    });
    expect(cfg.adminUserIds).toEqual(["123456789012345678", "223456789012345678"]);
    expect(cfg.adminRoleIds).toEqual(["12345678901234567"]);
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it.each([
    ["LOG_LEVEL", "loud", 'LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent'],
    ["NODE_ENV", "staging", 'NODE_ENV="staging" is not one of development, production, test'],
    ["TF_BACKEND", "gpu", 'TF_BACKEND="gpu" is not one of auto, node, wasm, cpu'],
    ["DISCORD_CLIENT_ID", "1234", 'DISCORD_CLIENT_ID="1234" is not a Discord ID (snowflake) of 17-20 digits'],
    ["DISCORD_GUILD_ID", "abc", 'DISCORD_GUILD_ID="abc" is not a Discord ID (snowflake) of 17-20 digits'],
    [
      "DISCORD_API_URL",
      "not a url",
      'DISCORD_API_URL="not a url" is not a URL; expected an http:// or https:// URL',
    ],
    [
      "DISCORD_API_URL",
      "ftp://example.com",
      'DISCORD_API_URL="ftp://example.com" has protocol ftp:; expected an http:// or https:// URL',
    ],
    ["COMPOSE_CONCURRENCY", "0", 'COMPOSE_CONCURRENCY="0" is not an integer from 1 to 16'],
    ["COMPOSE_CONCURRENCY", "17", 'COMPOSE_CONCURRENCY="17" is not an integer from 1 to 16'],
    ["COMPOSE_CONCURRENCY", "2.5", 'COMPOSE_CONCURRENCY="2.5" is not an integer from 1 to 16'],
    ["MAX_ATTACHMENT_BYTES", "1e6", 'MAX_ATTACHMENT_BYTES="1e6" is not an integer >= 1'],
    ["MAX_SEED_NOTES", "-5", 'MAX_SEED_NOTES="-5" is not an integer >= 1'],
    ["MAX_SEED_BARS", "0", 'MAX_SEED_BARS="0" is not an integer from 1 to 5000'],
    ["MAX_REQUEST_BARS", "65", 'MAX_REQUEST_BARS="65" is not an integer from 4 to 64'],
    ["MAX_TOKENS_PER_BAR", "3", 'MAX_TOKENS_PER_BAR="3" is not an integer from 4 to 1000'],
    ["MAX_CONCURRENT_DOWNLOADS", "0", 'MAX_CONCURRENT_DOWNLOADS="0" is not an integer from 1 to 64'],
    ["COMPOSE_MAX_QUEUE", "lots", 'COMPOSE_MAX_QUEUE="lots" is not an integer from 0 to 10000'],
    ["COMPOSE_WORKER_HEAP_MB", "16", 'COMPOSE_WORKER_HEAP_MB="16" is not an integer from 64 to 16384'],
    ["MODEL_KEEP_VERSIONS", "0", 'MODEL_KEEP_VERSIONS="0" is not an integer from 1 to 1000'],
    ["RETRAIN_STEPS", "0", 'RETRAIN_STEPS="0" is not an integer from 1 to 100000'],
    ["RETRAIN_TOLERANCE_BITS", "-1", 'RETRAIN_TOLERANCE_BITS="-1" is not a number from 0 to 10'],
    ["RETRAIN_TOLERANCE_BITS", "lots", 'RETRAIN_TOLERANCE_BITS="lots" is not a number from 0 to 10'],
    [
      "ADMIN_USER_IDS",
      "123456789012345678,bob",
      'ADMIN_USER_IDS="123456789012345678,bob" has invalid entries "bob"; expected a comma-separated list of a Discord ID (snowflake) of 17-20 digits',
    ],
    [
      "ADMIN_ROLE_IDS",
      "1,2",
      'ADMIN_ROLE_IDS="1,2" has invalid entries "1", "2"; expected a comma-separated list of a Discord ID (snowflake) of 17-20 digits',
    ],
  ])("rejects %s=%j", (name, value, problem) => {
    const error = errorOf({ [name]: value });
    expect(error.name).toBe("ConfigError");
    expect(error.problems).toEqual([problem]);
    expect(error.message).toContain(name);
    expect(error.message).toBe(`Invalid configuration (1 problem):\n  - ${problem}`);
  });

  it("reports every bad variable together", () => {
    const error = errorOf({
      LOG_LEVEL: "loud",
      COMPOSE_CONCURRENCY: "many",
      DISCORD_CLIENT_ID: "x",
      NODE_ENV: "test",
    });
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(error.message).toContain('DISCORD_CLIENT_ID="x"');
    expect(error.message).toContain('LOG_LEVEL="loud"');
    expect(error.message).toContain('COMPOSE_CONCURRENCY="many"');
    expect(error.message).not.toContain("NODE_ENV");
  });

  it("never echoes the token, even when it was pasted into another variable", () => {
    const error = errorOf({
      DISCORD_TOKEN: TOKEN,
      DISCORD_CLIENT_ID: TOKEN,
      DISCORD_API_URL: `ftp://discord.com/${TOKEN}`,
      LOG_LEVEL: "loud",
    });
    expect(error.problems).toHaveLength(3);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain("secret-token-value");
    expect(error.message).toContain(
      "DISCORD_CLIENT_ID (value hidden: it contains DISCORD_TOKEN) is not a Discord ID (snowflake) of 17-20 digits",
    );
    expect(error.message).toContain("DISCORD_API_URL (value hidden: it contains DISCORD_TOKEN)");
    expect(error.message).toContain('LOG_LEVEL="loud"');
  });
});
