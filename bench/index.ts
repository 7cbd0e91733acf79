/**
 * Benchmarks, each printing the numbers and ratios it measured in the same run.
 *
 *   npm run bench -- train [--seconds=25]
 *   npm run bench -- model [--model=models/folk-styles-2x256]
 *   npm run bench -- retrain [--steps=300] [--corpus=../shared/corpus]
 *   npm run bench -- compose [--runs=20]
 *   npm run bench -- sizes [--steps=400] [--sizes=1x256,2x256,1x512,2x384]
 *   npm run bench -- load [--users=50] [--workers=2] [--bars=16] [--spread=3]
 *   npm run bench -- load --redis [...]      = load-scale: 1 vs 2 worker processes on Redis
 *   npm run bench -- load-scale [--requests=40] [--workers=1,2] [--concurrency=1] [--bars=16]
 *   npm run bench -- startup [--runs=5]      tsx against compiled JavaScript: load time and memory
 */
const suites: Record<string, () => Promise<unknown>> = {
  train: () => import("./train.js"),
  model: () => import("./model-load.js"),
  retrain: () => import("./retrain.js"),
  sizes: () => import("./sizes.js"),
  compose: () => import("./compose.js"),
  load: () => import("./load.js"),
  "load-scale": () => import("./load-scale.js"),
  startup: () => import("./startup.js"),
};

// `load --redis` is the scale-out comparison: the same load, served by worker processes.
const name =
  process.argv[2] === "load" && process.argv.includes("--redis") ? "load-scale" : (process.argv[2] ?? "");
const run = suites[name];
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(suites).join("|")}> [options]`);
  process.exit(2);
}
await run();
