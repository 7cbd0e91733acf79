/**
 * `npm run backup -- --out <dir>`: a consistent copy of DATA_DIR (database and model
 * versions) into <dir>/tunesmith-<time>/, safe while the bot runs (src/backup.ts).
 * Exit 0 when the copy passed SQLite's integrity check, 1 otherwise.
 *
 *   DATA_DIR=/var/lib/tunesmith npm run backup -- --out /var/backups/tunesmith
 */
import { backupDataDir } from "../src/backup.js";
import { configOrExit } from "../src/lifecycle.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, { options: { out: { type: "string" } } });
if (!values.out) {
  console.error("usage: npm run backup -- --out <directory for the backup>");
  process.exit(2);
}
const cfg = configOrExit();
try {
  const result = await backupDataDir(cfg.dataDir, values.out);
  console.log(
    `backed up ${cfg.dataDir} to ${result.dir}: database ${(result.databaseBytes / 1024).toFixed(0)} KiB ` +
      `(integrity: ${result.integrity}), model versions: ${result.versions.join(", ") || "none"}`,
  );
  process.exit(result.integrity === "ok" ? 0 : 1);
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exit(1);
}
