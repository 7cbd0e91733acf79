import { parentPort, workerData } from "node:worker_threads";
import { generateCase } from "./generators.js";
import { type FromWorker, liveHeapMb, runCase, type ToWorker, type WorkerSetup } from "./runner.js";

/** One fuzz worker: runs the chunks of cases it is sent and reports each before and after. */
const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error("the fuzz worker runs in a worker thread");

const send = (m: FromWorker) => port.postMessage(m);
const ready = () =>
  send({ type: "ready", liveHeapMb: liveHeapMb(), rssMb: process.memoryUsage().rss / 2 ** 20 });

port.on("message", (m: ToWorker) => {
  for (let index = m.from; index < m.to; index++) {
    send({ type: "start", index });
    if (index === setup.inject?.hang) for (;;) {}
    if (index === setup.inject?.exhaustMemory) {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1 << 20).fill(index));
    }
    send({ type: "result", result: runCase(generateCase(setup.seed, index), setup.options) });
  }
  ready();
});
ready();
