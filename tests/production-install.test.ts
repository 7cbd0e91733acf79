/**
 * A production install as an operator makes it: the repository's files (what a clean clone
 * has: tracked and not ignored, no node_modules, no .env, no data) copied to a temporary
 * directory, `npm ci --omit=dev`, then the npm scripts. `npm start` with the emulator's URL
 * and a fake token answers /compose on its own composer threads; `npm run worker` and
 * `npm start` with REDIS_URL answer it through Redis; `start:sharded` brings a shard up;
 * `retrain` runs (and says there is nothing to train on). Needs the npm registry.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCommands } from "../src/bot/loader.js";
import { REPO_ROOT, registerCommands, tuneMessage } from "./bot/harness.js";
import { DiscordEmulator } from "./discord/emulator.js";
import { freePort, redisSkipReason, startRedis } from "./helpers/redis.js";
import { type ScriptProcess, startProcess, stopGroup } from "./jobs/processes.js";

const INSTALL_TIMEOUT_MS = 10 * 60_000;
const clone = mkdtempSync(path.join(tmpdir(), "tunesmith-clean-clone-"));
const NPM = "npm";

/** The files a clone of this working tree would have. */
function copyCheckout(to: string): number {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (listed.status !== 0)
    throw new Error(`this test copies a git checkout: git ls-files failed\n${listed.stderr}`);
  let copied = 0;
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    const from = path.join(REPO_ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    copyFileSync(from, path.join(to, file));
    copied++;
  }
  return copied;
}

function npm(args: string[], env: Record<string, string>): ScriptProcess {
  return startProcess(
    NPM,
    args,
    { LOG_LEVEL: "debug", TF_BACKEND: "wasm", COMPOSE_CONCURRENCY: "1", ...env },
    { cwd: clone, group: true },
  );
}

async function composeOnce(emulator: DiscordEmulator): Promise<void> {
  const run = emulator.slash("compose", { options: { bars: 8 } });
  const message = await tuneMessage(run, 120_000);
  expect(message.files.map((f) => f.name).sort()).toEqual(["score.png", "tune.abc", "tune.mid", "tune.ogg"]);
}

/**
 * SIGTERM to the whole process group, as Ctrl-C or systemd's stop sends it: npm itself does
 * not pass SIGTERM on to the program (it exits and leaves it running), so the program must
 * get it directly. It then stops cleanly: its last words logged, no error.
 */
async function stoppedBySigterm(run: ScriptProcess, lastWords = "stopped"): Promise<void> {
  expect(await stopGroup(run)).toBe(true);
  expect(run.logs.map((l) => l.msg)).toContain(lastWords);
  expect(run.logs.filter((l) => l.level === 50 || l.level === 60)).toEqual([]);
}

/**
 * better-sqlite3's install downloads a prebuilt binary from GitHub, and compiles one (a minute
 * of CPU) when it cannot. This machine reaches the npm registry but not GitHub, so the test
 * serves the binary this checkout's own install has, under the name GitHub gives it, on
 * loopback (prebuild-install's `…_binary_host` mirror setting); the install is otherwise untouched.
 */
async function servePrebuiltSqlite(): Promise<{ host: string; close(): Promise<void> }> {
  const pkg = path.join(REPO_ROOT, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = `${clone}-${name}`;
  const tar = spawnSync("tar", ["-czf", tarball, "-C", pkg, "build/Release/better_sqlite3.node"], {
    encoding: "utf8",
  });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  const server = createServer((request, response) => {
    if (!request.url?.endsWith(`/${name}`)) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/gzip" });
    createReadStream(tarball).pipe(response);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  return {
    host: `http://127.0.0.1:${port}`,
    close: async () => {
      server.close();
      rmSync(tarball, { force: true });
      // prebuild-install keeps a copy of what it downloaded, named after the URL (a new port each run).
      const prebuilds = path.join(process.env.HOME ?? "", ".npm", "_prebuilds");
      const suffix = name.replace(/[^a-zA-Z0-9.]+/g, "-");
      if (!existsSync(prebuilds)) return;
      for (const file of readdirSync(prebuilds).filter((f) => f.endsWith(suffix)))
        if (statSync(path.join(prebuilds, file)).mtimeMs >= started) rmSync(path.join(prebuilds, file));
    },
  };
}

/** spawnSync would block the event loop, and with it the server above. */
async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const [code] = await once(child, "exit");
  return { code: code as number | null, output };
}

beforeAll(async () => {
  expect(copyCheckout(clone)).toBeGreaterThan(100);
  expect(existsSync(path.join(clone, "node_modules"))).toBe(false);
  const prebuilt = await servePrebuiltSqlite();
  try {
    const install = await run(NPM, ["ci", "--omit=dev", "--no-audit", "--no-fund"], {
      cwd: clone,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        npm_config_better_sqlite3_binary_host: prebuilt.host,
      },
    });
    if (install.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.output}`);
  } finally {
    await prebuilt.close();
  }
}, INSTALL_TIMEOUT_MS);

afterAll(() => rmSync(clone, { recursive: true, force: true }), 120_000);

describe("a production install (npm ci --omit=dev on a clean checkout)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-prod-data-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("has no devDependency installed, and better-sqlite3's prebuilt binary", () => {
    for (const dev of ["typescript", "vitest", "@biomejs/biome"])
      expect(existsSync(path.join(clone, "node_modules", dev)), dev).toBe(false);
    const release = path.join(clone, "node_modules", "better-sqlite3", "build", "Release");
    expect(existsSync(path.join(release, "better_sqlite3.node"))).toBe(true);
    // A compiled one would have left its object files beside it.
    expect(existsSync(path.join(release, "obj.target"))).toBe(false);
  });

  it("npm start connects with a fake token to the emulator, answers /compose and stops on SIGTERM", async () => {
    const emulator = await new DiscordEmulator({ waitTimeoutMs: 60_000 }).start();
    let bot: ScriptProcess | undefined;
    try {
      bot = npm(["start"], {
        DISCORD_TOKEN: emulator.botToken,
        DISCORD_API_URL: emulator.apiUrl,
        DATA_DIR: dataDir,
      });
      await bot.waitForLog("connected to Discord", (l) => l.msg === "connected to Discord", 120_000);
      await registerCommands(emulator, await loadCommands());
      await composeOnce(emulator);
      await stoppedBySigterm(bot);
    } finally {
      await stopGroup(bot);
      await emulator.close();
    }
  });

  it("npm run start:sharded brings its shard up and stops it on SIGTERM", async () => {
    const emulator = await new DiscordEmulator({ waitTimeoutMs: 60_000 }).start();
    let sharded: ScriptProcess | undefined;
    try {
      const healthPort = await freePort();
      sharded = npm(["run", "start:sharded", "--", "--spawn-delay", "0"], {
        DISCORD_TOKEN: emulator.botToken,
        DISCORD_API_URL: emulator.apiUrl,
        DATA_DIR: dataDir,
        TOTAL_SHARDS: "1",
        HEALTH_PORT: String(healthPort),
      });
      await sharded.waitForLog("every shard is ready", (l) => l.msg === "every shard is ready", 120_000);
      // Shard 0 serves its health checks on HEALTH_PORT + 0.
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      expect(ready.status).toBe(200);
      await stoppedBySigterm(sharded, "every shard has stopped");
    } finally {
      await stopGroup(sharded);
      await emulator.close();
    }
  });

  it("npm run retrain runs and says what it needs", () => {
    const run = spawnSync(NPM, ["run", "retrain", "--", "--dry-run"], {
      cwd: clone,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, TF_BACKEND: "wasm" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(`${run.stdout}${run.stderr}`).toContain("retraining needs at least 2");
  });

  it.skipIf(redisSkipReason !== undefined)(
    "with Redis: npm run worker composes the /compose that npm start queues",
    async () => {
      const redis = await startRedis();
      const emulator = await new DiscordEmulator({ waitTimeoutMs: 60_000 }).start();
      let worker: ScriptProcess | undefined;
      let bot: ScriptProcess | undefined;
      try {
        const shared = { REDIS_URL: redis.url, DATA_DIR: dataDir, REDIS_PREFIX: "prod-install" };
        worker = npm(["run", "worker"], { ...shared, WORKER_JOBS: "compose" });
        await worker.waitForLog("worker ready", (l) => l.msg === "worker ready", 120_000);
        bot = npm(["start"], {
          ...shared,
          DISCORD_TOKEN: emulator.botToken,
          DISCORD_API_URL: emulator.apiUrl,
        });
        await bot.waitForLog("connected to Discord", (l) => l.msg === "connected to Discord", 120_000);
        await registerCommands(emulator, await loadCommands());
        await composeOnce(emulator);
        expect(worker.logs.some((l) => l.msg === "job done")).toBe(true);
        await stoppedBySigterm(bot);
        await stoppedBySigterm(worker);
      } finally {
        await stopGroup(bot);
        await stopGroup(worker);
        await emulator.close();
        await redis.stop();
      }
    },
  );
});

if (redisSkipReason !== undefined)
  console.warn(`[skipped] the Redis part of ${import.meta.url}: ${redisSkipReason}`);
