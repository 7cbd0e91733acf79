/**
 * `npm run worker` (and other scripts) as real processes for the scale-out tests: started
 * with the tsx loader in this very Node (so a kill reaches the process that does the work,
 * not a wrapper), JSON log lines collected from stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../bot/harness.js";

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
export const WORKER_SCRIPT = path.join(REPO_ROOT, "scripts", "job-worker.ts");

export type LogLine = Record<string, unknown> & { msg: string };

export interface ScriptProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Lines of stdout that were not JSON, and stderr. */
  readonly other: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every process writing to its output has ended (the command's children included). */
  readonly closed: Promise<void>;
  /** Called for every log line as it arrives. */
  onLog(listener: (line: LogLine) => void): void;
  /** The first log line `match` accepts (also one already seen). */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

export function startScript(script: string, args: string[], env: Record<string, string>): ScriptProcess {
  return startProcess(process.execPath, ["--import", TSX, script, ...args], env);
}

/**
 * Any command (e.g. `npm start` in another checkout), its JSON log lines collected the same
 * way. `group`: in a process group of its own, so a signal can reach every process in it
 * (see stopGroup), as a terminal's Ctrl-C or systemd's stop does.
 */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { readonly cwd?: string; readonly group?: boolean } = {},
): ScriptProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group ?? false,
  });
  const logs: LogLine[] = [];
  const other: string[] = [];
  const listeners: ((line: LogLine) => void)[] = [];
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines.filter(Boolean)) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        other.push(text);
        continue;
      }
      logs.push(line);
      for (const listener of listeners) listener(line);
    }
  });
  child.stderr?.on("data", (d: Buffer) => other.push(d.toString()));
  const exit = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const closed = once(child.stdout as NodeJS.ReadableStream, "close").then(() => undefined);
  return {
    child,
    logs,
    other,
    exit,
    closed,
    onLog: (listener) => {
      listeners.push(listener);
    },
    waitForLog: (what, match, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const seen = logs.find(match);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => {
          reject(
            new Error(
              `timed out waiting for ${what}; output:\n${[...other, ...logs.map((l) => JSON.stringify(l))].join("\n").slice(-3000)}`,
            ),
          );
        }, timeoutMs);
        void exit.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(
            new Error(
              `the process exited (${signal ?? code}) before ${what}:\n${other.join("").slice(-3000)}`,
            ),
          );
        });
        listeners.push((line) => {
          if (!match(line)) return;
          clearTimeout(timer);
          resolve(line);
        });
      }),
  };
}

/** A worker process; resolves once it is taking jobs. */
export async function startWorker(env: Record<string, string>): Promise<ScriptProcess & { name: string }> {
  const worker = startScript(WORKER_SCRIPT, [], env);
  const ready = await worker.waitForLog("worker ready", (l) => l.msg === "worker ready");
  return Object.assign(worker, { name: String(ready.worker) });
}

/**
 * SIGTERM to every process of a group started with `group: true`, then waits until all of
 * them are gone (SIGKILL after `timeoutMs`). Resolves whether the group ended by itself.
 */
export async function stopGroup(run: ScriptProcess | undefined, timeoutMs = 60_000): Promise<boolean> {
  if (!run?.child.pid) return true;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(run.child.pid as number), name);
    } catch {
      // the group is gone already
    }
  };
  signal("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    run.closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ended) {
    signal("SIGKILL");
    await run.closed;
  }
  return ended;
}

/** Stops a process that may already be gone. */
export async function stopProcess(process: ScriptProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!process || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill(signal);
  await process.exit;
}
