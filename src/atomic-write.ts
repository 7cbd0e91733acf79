import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Writes that a crash cannot leave half-done: data goes to a temporary name, is synced
 * to disk, then renamed over the target (rename is atomic on one filesystem).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFileSynced(tmp, data);
  await fs.rename(tmp, file);
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

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
