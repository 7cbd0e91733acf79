/**
 * A real redis-server (the Debian package) for the tests that need one: started on a free
 * loopback port in a temporary directory, without persistence, and stopped afterwards.
 * On a machine without redis-server those tests are skipped, and `redisSkipReason` says
 * why (the test files print it), never silently.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const BINARY = process.env.REDIS_SERVER_BIN ?? "redis-server";

function findRedis(): string | undefined {
  const probe = spawnSync(BINARY, ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return undefined;
  return probe.stdout.trim();
}

const version = findRedis();

/** Why the Redis tests cannot run here, or undefined when they can. */
export const redisSkipReason: string | undefined =
  version === undefined
    ? `redis-server not found (${BINARY}): the Redis job-queue tests are skipped. Install it with ` +
      "`apt-get install -y redis-server` (.ci/run does) to run them."
    : undefined;

/** Prints the reason once per test file, so a skip is never silent. */
export function warnIfNoRedis(what: string): boolean {
  if (redisSkipReason === undefined) return false;
  console.warn(`[skipped] ${what}: ${redisSkipReason}`);
  return true;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as in a network partition. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (redis-server needs one given; it cannot pick its own). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startRedis(): Promise<RedisServer> {
  if (version === undefined) throw new Error(redisSkipReason);
  const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-redis-"));
  // A port can be taken between the probe and the bind: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      BINARY,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = once(child, "exit");
    let alive = true;
    void exited.then(() => {
      alive = false;
    });
    for (let i = 0; i < 200 && alive; i++) {
      if (await accepts(port)) {
        return {
          url: `redis://127.0.0.1:${port}`,
          port,
          version: version,
          pause: () => child.kill("SIGSTOP"),
          resume: () => child.kill("SIGCONT"),
          stop: async () => {
            if (alive) {
              child.kill("SIGCONT");
              child.kill("SIGTERM");
              await exited;
            }
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await sleep(25);
    }
    if (alive) {
      child.kill("SIGKILL");
      await exited;
    }
    if (!/Address already in use/i.test(output)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on port ${port}: ${output.trim()}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("redis-server: no free port after 5 attempts");
}
