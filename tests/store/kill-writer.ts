/**
 * Child process for kill.test.ts: adds submissions n, n+1, … to the store in DATA_DIR as
 * fast as it can and prints "<id> <n>" for each one the store has acknowledged (after
 * addSubmission returned, i.e. after the commit), until it is killed. It also stops by
 * itself when the parent goes away (stdin closes) or after a minute, so a test that fails
 * cannot leave it filling the disk.
 */
import { setImmediate as turn } from "node:timers/promises";
import { openStore } from "../../src/store/store.js";
import { submissionFor } from "./kill-fixture.js";

const [dir, from] = process.argv.slice(2);
if (!dir || !from) throw new Error("usage: kill-writer.ts <data dir> <first n>");
process.stdin.on("close", () => process.exit(2)).resume();
const stopAt = Date.now() + 60_000;
const store = openStore(dir);
for (let n = Number(from); Date.now() < stopAt; n++) {
  const result = store.addSubmission(submissionFor(n));
  if (!result.added) throw new Error(`submission ${n} was already there`);
  // Synchronous on a pipe: once the parent reads the line, the commit was done.
  process.stdout.write(`${result.submission.id} ${n}\n`);
  await turn(); // lets the stdin watch run
}
process.exit(3);
