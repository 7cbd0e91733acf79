/**
 * Loading the shipped model in a fresh process, on wasm and on cpu: load time, tensor
 * memory and the process's resident memory before and after.
 *
 *   npm run bench -- model [--model=models/folk-styles-2x256]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { config } from "../src/config.js";

const modelArg = process.argv.find((a) => a.startsWith("--model="))?.slice("--model=".length);
const modelDir = modelArg ?? config().modelDir;
const child = process.env.BENCH_LOAD_BACKEND;

if (child) {
  const { initBackend, tf } = await import("../src/model/backend.js");
  const { loadModelDir } = await import("../src/model/model-dir.js");
  await initBackend(child as "wasm" | "cpu");
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const model = await loadModelDir(modelDir);
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      ms,
      tensorBytes: tf.memory().numBytes,
      rssDelta: process.memoryUsage().rss - rssBefore,
    }),
  );
  void model;
} else {
  console.log(`model ${modelDir}, each load in a fresh process`);
  for (const backend of ["wasm", "cpu"]) {
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      {
        env: { ...process.env, BENCH_LOAD_BACKEND: backend },
        encoding: "utf8",
      },
    );
    const line = run.stdout.trim().split("\n").at(-1) ?? "";
    if (run.status !== 0 || !line.startsWith("{")) {
      console.log(`load ${backend}: failed (${run.stderr.trim().split("\n").at(-1)})`);
      continue;
    }
    const r = JSON.parse(line) as { ms: number; tensorBytes: number; rssDelta: number };
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `load ${backend.padEnd(5)} time=${r.ms.toFixed(0)} ms  tensors=${mb(r.tensorBytes)} MB  rss+=${mb(r.rssDelta)} MB`,
    );
  }
}
