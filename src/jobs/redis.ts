import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import type { ModelInfo } from "../compose/composer.js";
import type { ModelSource } from "../compose/service.js";

/**
 * Redis connections for the job queue. BullMQ wants `maxRetriesPerRequest: null` on the
 * connections it blocks on; the same options suit our own (results, pub/sub): a command
 * waits while Redis restarts instead of failing after a few retries.
 */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

export function redisClient(url: string, onError: (error: Error) => void): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  // Without a listener an unreachable Redis would crash the process; ioredis reconnects by itself.
  client.on("error", onError);
  return client;
}

/** What the bot can say about a model version without loading it (the workers load it). */
export function describeModel(source: ModelSource, backend: string): ModelInfo {
  const cardFile = path.join(source.modelDir, "card.json");
  let name = source.modelDir;
  try {
    if (existsSync(cardFile)) {
      const card = JSON.parse(readFileSync(cardFile, "utf8")) as { name?: unknown };
      if (typeof card.name === "string") name = card.name;
    }
  } catch {
    // An unreadable card only costs the name.
  }
  return { name, version: source.modelVersion ?? "unknown", backend };
}

/** Redis that cannot be reached within this time at startup is reported, not waited for forever. */
export const CONNECT_TIMEOUT_MS = 10_000;

export class RedisUnreachableError extends Error {}

/** `ready`, or a RedisUnreachableError naming `location` after `ms`. */
export async function connectedWithin<T>(ready: Promise<T>, ms: number, location: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnreachableError(`cannot reach Redis at ${location} (waited ${ms / 1000} s)`)),
      ms,
    );
  });
  try {
    return await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** For /readyz: undefined when Redis answers a PING within `ms`, else why not. */
export async function redisHealth(redis: Redis, ms = 1_000): Promise<string | undefined> {
  // ioredis queues commands while it reconnects: say so at once rather than wait.
  if (redis.status !== "ready") return `Redis unreachable (connection ${redis.status})`;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      redis.ping().then(() => undefined),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`Redis did not answer a PING within ${ms} ms`), ms);
      }),
    ]);
  } catch (error) {
    return `Redis unreachable: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
