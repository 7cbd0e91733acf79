/**
 * What running the TypeScript sources through tsx costs against compiling them first: the
 * time and memory to load the bot's code (src/bot/start.ts and the commands) and a composer
 * thread's code (src/compose/composer.ts and the renderers), each in a fresh process,
 *
 * - compiled: `tsc` output run by plain `node`;
 * - tsx, cold: `node --import tsx` with an empty tsx cache (the first start after an upgrade);
 * - tsx, warm: the same with the cache tsx keeps in the temporary directory (every later start);
 * - the `tsx` command, warm: what `tsx file.ts` adds, a second Node process in front.
 *
 * After loading, both run the same JavaScript, so this is the whole difference.
 *
 *   npm run bench -- startup [--runs=5]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice("--runs=".length) ?? 5);
const require = createRequire(import.meta.url);
const TSX_IMPORT = pathToFileURL(require.resolve("tsx")).href;
const TSX_CLI = path.join(ROOT, "node_modules", ".bin", "tsx");
const TSC = path.join(ROOT, "node_modules", ".bin", "tsc");

/** A program that loads one graph and prints how long it took and the process's peak memory. */
function loader(base: string, ext: string, graph: "bot" | "composer"): string {
  const url = (file: string) => JSON.stringify(pathToFileURL(path.join(base, `${file}${ext}`)).href);
  const load =
    graph === "bot"
      ? `await import(${url("src/bot/start")}); await (await import(${url("src/bot/loader")})).loadCommands();`
      : `await import(${url("src/compose/composer")}); await import(${url("src/compose/renderings")});`;
  return `const t = performance.now(); ${load}
const ms = performance.now() - t; globalThis.gc?.();
console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, afterMb: process.memoryUsage().rss / 2 ** 20 }));`;
}

interface Sample {
  /** Wall time of the whole process, as an operator waits for it. */
  readonly wallMs: number;
  /** Time spent importing, measured inside. */
  readonly ms: number;
  /** Peak resident memory while loading. */
  readonly rssMb: number;
  /** Resident memory once loaded (after a garbage collection). */
  readonly afterMb: number;
}

function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const started = performance.now();
  const run = spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8" });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${run.stderr}`);
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  return { wallMs, ...(JSON.parse(last) as { ms: number; rssMb: number; afterMb: number }) };
}

/** Resident memory of the process `tsx file` starts first (it runs the program in a child). */
async function wrapperRssMb(): Promise<string> {
  const child = spawn(TSX_CLI, ["-e", "setTimeout(() => {}, 3000)"], { cwd: ROOT, stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  child.kill();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return (kb / 1024).toFixed(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const work = mkdtempSync(path.join(tmpdir(), "tunesmith-startup-"));
try {
  const dist = path.join(work, "dist");
  console.log("compiling with tsc…");
  const compile = spawnSync(
    TSC,
    ["-p", "tsconfig.json", "--noEmit", "false", "--outDir", dist, "--rootDir", ROOT, "--sourceMap", "false"],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (compile.status !== 0) throw new Error(`tsc failed:\n${compile.stdout}${compile.stderr}`);
  // Laid out as a build would ship: ES modules, the same node_modules.
  writeFileSync(path.join(dist, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dist, "node_modules"));

  const rows: string[] = [];
  for (const graph of ["bot", "composer"] as const) {
    const compiled = loader(dist, ".js", graph);
    const source = loader(ROOT, ".ts", graph);
    const variants: [string, () => Sample][] = [
      [
        "compiled, node",
        () => measure(process.execPath, ["--expose-gc", "--input-type=module", "-e", compiled], process.env),
      ],
      [
        "tsx, cold cache",
        () => {
          const empty = mkdtempSync(path.join(work, "cold-"));
          return measure(
            process.execPath,
            ["--expose-gc", "--import", TSX_IMPORT, "--input-type=module", "-e", source],
            { ...process.env, TMPDIR: empty },
          );
        },
      ],
      [
        "tsx, warm cache",
        () =>
          measure(
            process.execPath,
            ["--expose-gc", "--import", TSX_IMPORT, "--input-type=module", "-e", source],
            process.env,
          ),
      ],
      [
        "`tsx` command, warm",
        () => measure(TSX_CLI, ["--expose-gc", "--input-type=module", "-e", source], process.env),
      ],
    ];
    // One warm-up run fills tsx's cache for the warm variants.
    measure(
      process.execPath,
      ["--expose-gc", "--import", TSX_IMPORT, "--input-type=module", "-e", source],
      process.env,
    );
    for (const [name, run] of variants) {
      const samples = Array.from({ length: runs }, run);
      rows.push(
        `| ${graph} | ${name} | ${median(samples.map((s) => s.ms)).toFixed(0)} | ${median(samples.map((s) => s.wallMs)).toFixed(0)} | ${median(samples.map((s) => s.rssMb)).toFixed(0)} | ${median(samples.map((s) => s.afterMb)).toFixed(0)} |`,
      );
    }
  }
  console.log(`\nmedians of ${runs} fresh processes each`);
  console.log("| code | run by | import ms | process wall ms | peak RSS MB | RSS once loaded MB |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  console.log(
    `the \`tsx\` command's own process in front of the one that loads the code: ${await wrapperRssMb()} MB resident`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
