import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { DB_FILE } from "./store/store.js";
import { ACTIVE_POINTER } from "./versions/active-pointer.js";

/**
 * A backup of DATA_DIR while the bot runs: the database through SQLite's online backup API
 * (a consistent copy, whatever the bot is writing meanwhile; the WAL included) and the model
 * versions. The active pointer is copied before the version directories, so every version
 * it names is in the copy (a version directory never changes once it has its name, and
 * pruning keeps the active one and its rollback targets).
 */
export interface BackupResult {
  readonly dir: string;
  readonly databaseBytes: number;
  /** Version directories copied. */
  readonly versions: readonly string[];
  /** SQLite's integrity_check of the copy: "ok". */
  readonly integrity: string;
}

export async function backupDataDir(
  dataDir: string,
  outDir: string,
  now = new Date(),
): Promise<BackupResult> {
  const source = path.join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new Error(`no database at ${source}: is DATA_DIR right?`);
  const dir = path.join(outDir, `tunesmith-${now.toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });

  const target = path.join(dir, DB_FILE);
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target);
  } finally {
    db.close();
  }
  // One self-contained file (no -wal or -shm beside it), checked.
  const copy = new BetterSqlite3(target);
  copy.pragma("journal_mode = DELETE");
  const integrity = String(copy.pragma("integrity_check", { simple: true }));
  copy.close();

  const models = path.join(dataDir, "models");
  const versions: string[] = [];
  if (existsSync(models)) {
    mkdirSync(path.join(dir, "models"));
    const pointer = path.join(models, ACTIVE_POINTER);
    if (existsSync(pointer)) copyFileSync(pointer, path.join(dir, "models", ACTIVE_POINTER));
    for (const name of readdirSync(models)) {
      // Staging directories (a version being written) and the lock file are not versions.
      if (name.startsWith(".") || !statSync(path.join(models, name)).isDirectory()) continue;
      cpSync(path.join(models, name), path.join(dir, "models", name), { recursive: true });
      versions.push(name);
    }
  }
  return { dir, databaseBytes: statSync(target).size, versions: versions.sort(), integrity };
}
