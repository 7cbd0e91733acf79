/** Run as a process by store-shared.test.ts: opens the store in argv[2], adds a run, prints what it sees. */
import { openStore } from "../../src/store/store.js";

const store = openStore(process.argv[2] as string);
const run = store.createRun({ requestedBy: `process ${process.pid}` });
console.log(JSON.stringify({ msg: "opened", run: run.id }));
store.close();
