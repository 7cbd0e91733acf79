/**
 * `npm start` as a process (tsx src/bot/main.ts, what the npm script runs): it refuses to
 * start without a token and says how to get one; against the emulator it serves, and on
 * SIGTERM finishes the tune it is composing, closes the gateway and exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCommands } from "../../src/bot/loader.js";
import { DiscordEmulator } from "../discord/emulator.js";
import { MODEL_DIR, REPO_ROOT, registerCommands, tuneMessage } from "./harness.js";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const MAIN = path.join(REPO_ROOT, "src", "bot", "main.ts");
// Away from the repository, so a developer's .env cannot supply a token.
const elsewhere = mkdtempSync(path.join(tmpdir(), "tunesmith-start-"));

afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function start(env: Record<string, string>, cwd: string): Started {
  const child = spawn(TSX, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on("data", (d: Buffer) => stdout.push(...d.toString().split("\n").filter(Boolean)));
  child.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()));
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout, stderr, exit };
}

describe("npm start", () => {
  it("without DISCORD_TOKEN exits non-zero and explains how to get a token", async () => {
    const { exit, stderr, stdout } = start({}, elsewhere);
    expect(await exit).toBe(1);
    const text = stderr.join("");
    expect(text).toContain("DISCORD_TOKEN is not set");
    expect(text).toContain("https://discord.com/developers/applications");
    expect(text).toContain('scopes "bot" and "applications.commands"');
    expect(text).toContain("npm run compose");
    expect(stdout).toEqual([]);
  });

  it("on SIGTERM finishes the tune in progress, closes the gateway and exits 0", async () => {
    const emulator = await new DiscordEmulator({ waitTimeoutMs: 30_000 }).start();
    const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-data-"));
    try {
      const bot = start(
        {
          DISCORD_TOKEN: emulator.botToken,
          DISCORD_API_URL: emulator.apiUrl,
          DATA_DIR: dataDir,
          MODEL_DIR,
          TF_BACKEND: "wasm",
          COMPOSE_CONCURRENCY: "1",
          LOG_LEVEL: "debug",
          NODE_ENV: "production",
        },
        // The pool's workers resolve tsx from the working directory (see the report).
        REPO_ROOT,
      );
      const logged = (msg: string) =>
        bot.stdout.map((l) => JSON.parse(l) as { msg: string }).find((l) => l.msg === msg);
      await expect.poll(() => logged("connected to Discord"), { timeout: 30_000 }).toBeDefined();
      expect(logged("composer ready")).toMatchObject({
        model: "folk-styles-2x256",
        backend: "wasm",
        workers: 1,
      });
      await registerCommands(emulator, await loadCommands());

      const run = emulator.slash("compose", { options: { bars: 8 } });
      await expect.poll(() => logged("composition submitted"), { timeout: 10_000 }).toBeDefined();
      bot.child.kill("SIGTERM");
      // The work already under way is delivered before the bot goes.
      expect((await tuneMessage(run, 30_000)).files).toHaveLength(4);
      expect(await bot.exit).toBe(0);
      expect(logged("shutting down")).toMatchObject({ signal: "SIGTERM" });
      expect(logged("stopped")).toBeDefined();
      expect(emulator.gateway.connected).toBe(false);
      expect(bot.stdout.join("\n")).not.toContain(emulator.botToken);
    } finally {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
