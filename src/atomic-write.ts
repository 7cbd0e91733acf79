import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Writes that a crash cannot leave half-done: data goes to a temporary name, is synced
 * to disk, then renamed over the target (rename is atomic on one filesystem). A rename is
 * durable only once its directory is synced too: `durable` does that where a crash must
 * not bring the old file back (the active-model pointer).
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: { readonly durable?: boolean } = {},
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFileSynced(tmp, data);
  await fs.rename(tmp, file);
  if (options.durable) await syncDir(path.dirname(file));
}

/** Replaces the directory `<dir>/<name>` with one holding exactly `files`, atomically. */
export async function writeDirAtomic(
  dir: string,
  name: string,
  files: readonly { name: string; data: string | Uint8Array }[],
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const unique = `${process.pid}-${Date.now()}`;
  const tmp = `${target}.tmp-${unique}`;
  const old = `${target}.old-${unique}`;
  await fs.mkdir(tmp);
  for (const f of files) await writeFileSynced(path.join(tmp, f.name), f.data);
  let moved = false;
  try {
    await fs.rename(target, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.rename(tmp, target);
  if (moved) await fs.rm(old, { recursive: true, force: true });
}

/**
 * Creates the directory `target` whole or not at all: `fill` writes into `staging` (made
 * empty first), which is synced and renamed to `target`, and the rename synced. On an
 * error the staging directory is removed and `target` never appears.
 */
export async function createDirAtomic(
  staging: string,
  target: string,
  fill: (dir: string) => Promise<void>,
): Promise<void> {
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging);
  try {
    await fill(staging);
    await syncDir(staging);
    await fs.rename(staging, target);
    await syncDir(path.dirname(target));
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Makes the renames and deletions in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
