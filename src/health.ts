import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";

/**
 * Health endpoints for a process manager or a monitor (HEALTH_PORT, off by default):
 *
 * - `GET /healthz`: 200 while the process answers at all (its event loop is alive);
 * - `GET /readyz`: 200 when every check passes, else 503; the body names each check's state.
 *
 * A check returns undefined when all is well, or the reason it is not (a short sentence).
 * Checks run on every request, each bounded by CHECK_TIMEOUT_MS, so a hung dependency
 * reads as "not ready" rather than hanging the probe.
 */
export type Check = () => Promise<string | undefined> | string | undefined;

export const CHECK_TIMEOUT_MS = 2_000;

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthOptions {
  readonly port: number;
  /** Address to listen on (HEALTH_HOST). */
  readonly host: string;
  /** The checks of /readyz by name, in the order they are reported. */
  readonly checks: Readonly<Record<string, Check>>;
}

export interface Readiness {
  readonly ready: boolean;
  /** "ok", or why not. */
  readonly checks: Readonly<Record<string, string>>;
}

export async function readiness(checks: Readonly<Record<string, Check>>): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
  );
  return {
    ready: entries.every(([, reason]) => reason === undefined),
    checks: Object.fromEntries(entries.map(([name, reason]) => [name, reason ?? "ok"])),
  };
}

async function runCheck(check: Check): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

export async function startHealthServer(options: HealthOptions): Promise<HealthServer> {
  const started = Date.now();
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(request.method === "HEAD" ? undefined : `${JSON.stringify(body)}\n`);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return send(405, { error: "GET only" });
    const url = new URL(request.url ?? "/", "http://health");
    if (url.pathname === "/healthz")
      return send(200, { alive: true, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
    if (url.pathname === "/readyz") {
      void readiness(options.checks).then((state) => send(state.ready ? 200 : 503, state));
      return;
    }
    send(404, { error: "not found: try /healthz or /readyz" });
  });
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => {
      throw new Error(
        `cannot serve health checks on ${options.host}:${options.port} (HEALTH_PORT): ${(error as Error).message}`,
      );
    }),
  ]);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The health server when `port` is set (HEALTH_PORT), logged where it listens; else undefined. */
export async function serveHealth(
  port: number | undefined,
  options: Omit<HealthOptions, "port">,
  log: Logger,
): Promise<HealthServer | undefined> {
  if (port === undefined) return undefined;
  const server = await startHealthServer({ port, ...options });
  log.info({ port: server.port, host: options.host }, "health checks served at /healthz and /readyz");
  return server;
}

/**
 * The port of this process: HEALTH_PORT, or under `npm run start:sharded` HEALTH_PORT + the
 * shard id (each shard is a process of its own; the manager serves none).
 */
export function healthPortOf(base: number, env: NodeJS.ProcessEnv = process.env): number {
  const shard = env.SHARDING_MANAGER ? Number.parseInt(env.SHARDS ?? "", 10) : Number.NaN;
  return Number.isInteger(shard) ? base + shard : base;
}
