import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive } from "../process-alive.js";
import { ModelVersionError } from "./version-ids.js";

/**
 * One writer of the active pointer at a time, across processes (the bot, workers, a
 * shell's `npm run retrain`): a lock file holding the writer's pid. A dead holder's lock
 * is broken; a live one is waited for, up to LOCK_TIMEOUT_MS.
 */
const LOCK_FILE = "active.lock";
const LOCK_TIMEOUT_MS = 10_000;
/** A lock whose pid is not written yet counts as live this long. */
const UNWRITTEN_GRACE_MS = 2000;

export async function withPointerLock<T>(root: string, fn: () => T | Promise<T>): Promise<T> {
  mkdirSync(root, { recursive: true });
  const lock = path.join(root, LOCK_FILE);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = lockHolder(lock);
      if (holder === "dead") {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new ModelVersionError(
          `another process (pid ${holder}) is changing the active model; try again`,
        );
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The pid holding the lock, or "dead". */
function lockHolder(lock: string): number | "dead" {
  let text: string;
  try {
    text = readFileSync(lock, "utf8").trim();
  } catch {
    return "dead"; // released meanwhile: try again
  }
  const pid = Number(text);
  if (text === "") {
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return age > UNWRITTEN_GRACE_MS ? "dead" : 0;
  }
  return Number.isInteger(pid) && processAlive(pid) ? pid : "dead";
}
