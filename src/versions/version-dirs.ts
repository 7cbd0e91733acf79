import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { createDirAtomic, syncDir } from "../atomic-write.js";
import { processAlive } from "../process-alive.js";
import { isVersionId, versionNumber } from "./version-ids.js";

/**
 * Version directories under DATA_DIR/models, each holding model.json, weights.bin,
 * vocab.json, card.json, metrics.json and loss-curve.png. One appears whole or not at all
 * (written under a staging name and renamed) and disappears the same way (renamed to a
 * staging name, then removed), so a crash never leaves a half version that looks whole.
 * Staging names end in the writer's pid: those of dead processes are swept.
 */
const STAGING_PREFIX = ".staging-";
/** What a version needs to be served. */
const SERVED_FILES = ["model.json", "weights.bin", "vocab.json"] as const;

/** Ids of the version directories in `root`, in version order. */
export function versionIdsIn(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => isVersionId(name) && existsSync(path.join(root, name, "model.json")))
    .sort((a, b) => versionNumber(a) - versionNumber(b));
}

/** The files a version needs to be served that `dir` lacks. */
export function missingServedFiles(dir: string): string[] {
  return SERVED_FILES.filter((f) => !existsSync(path.join(dir, f)));
}

/** Writes the version directory `<root>/<id>`: `write` fills a staging directory, renamed into place. */
export async function writeVersionDir(
  root: string,
  id: string,
  write: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = path.join(root, id);
  mkdirSync(root, { recursive: true });
  sweepStaging(root);
  await createDirAtomic(path.join(root, `${STAGING_PREFIX}${id}-${process.pid}`), dir, write);
  return dir;
}

/** Removes version directories, each renamed away first; the caller holds the pointer lock. */
export async function deleteVersionDirs(root: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const doomed = path.join(root, `${STAGING_PREFIX}deleted-${id}-${process.pid}`);
    renameSync(path.join(root, id), doomed);
    rmSync(doomed, { recursive: true, force: true });
  }
  await syncDir(root);
}

/** Removes staging directories left by processes that died while writing a version. */
export function sweepStaging(root: string): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && processAlive(pid)) continue;
    rmSync(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
