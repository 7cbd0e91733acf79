import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { importTune } from "../../src/music/import.js";
import { midiToTune } from "../../src/music/midi-read.js";
import { MusicError } from "../../src/music/music-errors.js";
import type { Tune } from "../../src/music/tune.js";
import { type FuzzCase, generateCase } from "./generators.js";
import { tuneProblem } from "./invariants.js";

/**
 * Runs fuzz cases against the readers and sorts each into an outcome. The last four
 * outcomes are bugs: a reader must end every input in a typed error or a valid Tune,
 * quickly and in bounded memory.
 */
export const OUTCOMES = ["ok", "typed-error", "escaped", "invalid", "timeout", "memory"] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const BUGS: readonly Outcome[] = ["escaped", "invalid", "timeout", "memory"];

export interface CaseResult {
  readonly seed: number;
  readonly index: number;
  readonly family: string;
  readonly target: string;
  readonly outcome: Outcome;
  /** Time spent in the reader (validation not included). */
  readonly ms: number;
  /** Heap allocated while reading (garbage included): a lower bound on the case's peak. */
  readonly heapMb: number;
  readonly detail?: string;
}

export interface RunOptions {
  /** A case whose reader takes longer than this is a bug (a hang detector, not a benchmark). */
  readonly timeLimitMs?: number;
  /** A case allocating more than this while reading is a bug. */
  readonly caseHeapMb?: number;
}

export const DEFAULTS = { timeLimitMs: 2000, caseHeapMb: 256 } as const;

const encoder = new TextEncoder();

/** Calls the case's entry point; returns the tunes it produced (errors are thrown). */
function read(c: FuzzCase): Tune[] {
  const limits = c.limits ?? {};
  const bytes = () => (typeof c.input === "string" ? encoder.encode(c.input) : c.input);
  const text = () => (typeof c.input === "string" ? c.input : new TextDecoder().decode(c.input));
  switch (c.target) {
    case "import":
      return [importTune(bytes(), limits).tune];
    case "midi":
      return [midiToTune(bytes(), limits)];
    case "abc":
      return [parseAbc(text(), limits)];
    case "abc-file": {
      const results = parseAbcFile(text(), limits);
      const tunes = results.flatMap((r) => (r.result.ok ? [r.result.tune] : []));
      if (tunes.length === 0) {
        const first = results.find((r) => !r.result.ok)?.result;
        if (first && !first.ok) throw first.error;
        throw new MusicError("no-tune", "no tunes in the file");
      }
      return tunes;
    }
  }
}

export function runCase(c: FuzzCase, options: RunOptions = {}): CaseResult {
  const timeLimitMs = options.timeLimitMs ?? DEFAULTS.timeLimitMs;
  const caseHeapMb = options.caseHeapMb ?? DEFAULTS.caseHeapMb;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let tunes: Tune[] = [];
  let error: unknown;
  let threw = false;
  try {
    tunes = read(c);
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - started;
  const heapMb = Math.max(0, process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const base = { seed: c.seed, index: c.index, family: c.family, target: c.target, ms, heapMb };
  if (ms > timeLimitMs)
    return { ...base, outcome: "timeout", detail: `took ${Math.round(ms)} ms (limit ${timeLimitMs})` };
  if (heapMb > caseHeapMb)
    return { ...base, outcome: "memory", detail: `allocated ${Math.round(heapMb)} MB (limit ${caseHeapMb})` };
  if (threw) {
    if (error instanceof MusicError) return { ...base, outcome: "typed-error", detail: error.code };
    const err = error as Error;
    return { ...base, outcome: "escaped", detail: `${err?.name}: ${err?.message}\n${err?.stack ?? ""}` };
  }
  for (const tune of tunes) {
    const problem = tuneProblem(tune);
    if (problem) return { ...base, outcome: "invalid", detail: problem };
  }
  return { ...base, outcome: "ok" };
}

// ---------------------------------------------------------------- memory

let gcFunction: (() => void) | undefined;

/** A full collection, so heap figures compare live data rather than garbage. */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}

export const liveHeapMb = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

// ---------------------------------------------------------------- summaries

export interface Summary {
  readonly seed: number;
  readonly cases: number;
  readonly byFamily: ReadonlyMap<string, Record<Outcome, number>>;
  readonly bugs: readonly CaseResult[];
  readonly ms: number;
  readonly slowest?: CaseResult;
  readonly hungriest?: CaseResult;
  /** Live heap after the first batch and at the end, per process or worker (MB). */
  readonly heapGrowthMb: number;
  readonly peakRssMb: number;
}

export class Tally {
  readonly byFamily = new Map<string, Record<Outcome, number>>();
  readonly bugs: CaseResult[] = [];
  cases = 0;
  slowest?: CaseResult;
  hungriest?: CaseResult;

  add(r: CaseResult): void {
    this.cases++;
    const row = this.byFamily.get(r.family) ?? zeroRow();
    row[r.outcome]++;
    this.byFamily.set(r.family, row);
    if (BUGS.includes(r.outcome)) this.bugs.push(r);
    if (!this.slowest || r.ms > this.slowest.ms) this.slowest = r;
    if (!this.hungriest || r.heapMb > this.hungriest.heapMb) this.hungriest = r;
  }

  summary(seed: number, ms: number, heapGrowthMb: number, peakRssMb: number): Summary {
    return {
      seed,
      cases: this.cases,
      byFamily: new Map([...this.byFamily].sort(([a], [b]) => a.localeCompare(b))),
      bugs: [...this.bugs].sort((a, b) => a.index - b.index),
      ms,
      ...(this.slowest ? { slowest: this.slowest } : {}),
      ...(this.hungriest ? { hungriest: this.hungriest } : {}),
      heapGrowthMb,
      peakRssMb,
    };
  }
}

const zeroRow = (): Record<Outcome, number> =>
  Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

/** Runs cases [from, from + count) of `seed` in this thread. */
export function runInProcess(seed: number, from: number, count: number, options: RunOptions = {}): Summary {
  const tally = new Tally();
  const started = performance.now();
  let baseline: number | undefined;
  let peakRss = process.memoryUsage().rss;
  for (let i = from; i < from + count; i++) {
    tally.add(runCase(generateCase(seed, i), options));
    // The first cases load code and fixtures: measure growth from after them.
    if (i === from + Math.min(49, count - 1)) baseline = liveHeapMb();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const growth = liveHeapMb() - (baseline ?? liveHeapMb());
  return tally.summary(seed, performance.now() - started, growth, peakRss / 2 ** 20);
}

// ---------------------------------------------------------------- watched workers

export interface WatchedOptions extends RunOptions {
  readonly workers?: number;
  /** No answer for this long means the case hangs: the worker is stopped and replaced. */
  readonly hangMs?: number;
  /** Old-generation cap of each worker; running out is a memory bug of the case at hand. */
  readonly workerHeapMb?: number;
  /** Cases a worker asks for at a time. */
  readonly chunk?: number;
  /** Called after every case (progress display). */
  readonly onResult?: (r: CaseResult, done: number) => void;
  /** For testing the watchdog itself: these cases spin forever or allocate without end. */
  readonly inject?: Injection;
}

export interface ToWorker {
  readonly from: number;
  readonly to: number;
}
export type FromWorker =
  | { type: "ready"; liveHeapMb: number; rssMb: number }
  | { type: "start"; index: number }
  | { type: "result"; result: CaseResult };

export interface Injection {
  readonly hang?: number;
  readonly exhaustMemory?: number;
}

export interface WorkerSetup {
  readonly seed: number;
  readonly options: RunOptions;
  readonly inject?: Injection;
  readonly entry: string;
}

const TSX_API = import.meta.resolve("tsx/esm/api");
// Workers run these TypeScript sources through tsx however the parent was started.
const WORKER_BOOT = `const { workerData } = require("node:worker_threads");
import(${JSON.stringify(TSX_API)}).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));`;
const WORKER_ENTRY = new URL("./fuzz-thread.ts", import.meta.url).href;

/**
 * Runs `count` cases in worker threads with a watchdog: a case that hangs or exhausts its
 * worker's heap is recorded as a bug and the worker is replaced, so the run always ends.
 */
export async function runWatched(
  seed: number,
  count: number,
  options: WatchedOptions = {},
): Promise<Summary> {
  const workers = options.workers ?? 2;
  const hangMs = options.hangMs ?? 10 * (options.timeLimitMs ?? DEFAULTS.timeLimitMs);
  const chunk = options.chunk ?? 100;
  const tally = new Tally();
  const started = performance.now();
  const pending: number[][] = [];
  for (let from = 0; from < count; from += chunk) {
    pending.push(Array.from({ length: Math.min(chunk, count - from) }, (_, k) => from + k));
  }
  let peakRss = 0;
  let heapGrowth = 0;
  const setup: WorkerSetup = {
    seed,
    options: { timeLimitMs: options.timeLimitMs, caseHeapMb: options.caseHeapMb },
    ...(options.inject ? { inject: options.inject } : {}),
    entry: WORKER_ENTRY,
  };

  const record = (r: CaseResult) => {
    tally.add(r);
    options.onResult?.(r, tally.cases);
  };

  const lane = () =>
    new Promise<void>((resolve, reject) => {
      let worker: Worker;
      let current: number[] = [];
      let inFlight: number | undefined;
      let lastStart = 0;
      let baseline: number | undefined;
      let chunks = 0;
      let timer: NodeJS.Timeout | undefined;

      const fail = (outcome: Outcome, detail: string) => {
        const index = inFlight as number;
        const c = generateCase(seed, index);
        record({ seed, index, family: c.family, target: c.target, outcome, ms: 0, heapMb: 0, detail });
        // The rest of its chunk goes back to the queue for a fresh worker.
        const rest = current.filter((i) => i > index);
        if (rest.length) pending.unshift(rest);
        inFlight = undefined;
        current = [];
        spawn();
      };

      const spawn = () => {
        clearInterval(timer);
        baseline = undefined;
        chunks = 0;
        worker = new Worker(WORKER_BOOT, {
          eval: true,
          workerData: setup,
          resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 1024 },
        });
        timer = setInterval(
          () => {
            if (inFlight !== undefined && performance.now() - lastStart > hangMs) {
              const w = worker;
              worker.removeAllListeners();
              void w.terminate();
              fail("timeout", `no answer after ${hangMs} ms: the reader hangs`);
            }
          },
          Math.min(500, hangMs / 4),
        );
        worker.on("message", (m: FromWorker) => {
          if (m.type === "start") {
            inFlight = m.index;
            lastStart = performance.now();
          } else if (m.type === "result") {
            inFlight = undefined;
            record(m.result);
          } else {
            peakRss = Math.max(peakRss, m.rssMb);
            if (chunks++ === 1) baseline = m.liveHeapMb;
            else if (baseline !== undefined) heapGrowth = Math.max(heapGrowth, m.liveHeapMb - baseline);
            current = pending.shift() ?? [];
            const first = current[0];
            const last = current[current.length - 1];
            if (first === undefined || last === undefined) {
              clearInterval(timer);
              worker.removeAllListeners();
              void worker.terminate().then(() => resolve());
            } else {
              worker.postMessage({ from: first, to: last + 1 } satisfies ToWorker);
            }
          }
        });
        worker.on("error", (e: Error & { code?: string }) => {
          worker.removeAllListeners();
          if (inFlight === undefined) {
            clearInterval(timer);
            reject(e);
            return;
          }
          const oom = e.code === "ERR_WORKER_OUT_OF_MEMORY";
          fail(oom ? "memory" : "escaped", oom ? "the worker ran out of heap" : `worker died: ${e.message}`);
        });
        // Our own terminations remove the listeners first, so this is the code under test.
        worker.on("exit", (code) => {
          worker.removeAllListeners();
          if (inFlight === undefined) {
            clearInterval(timer);
            reject(new Error(`a fuzz worker exited (code ${code}) between cases`));
          } else fail("escaped", `the worker exited with code ${code}`);
        });
      };
      spawn();
    });

  await Promise.all(Array.from({ length: workers }, lane));
  return tally.summary(seed, performance.now() - started, heapGrowth, peakRss);
}

// ---------------------------------------------------------------- report

export function formatSummary(s: Summary): string {
  const families = [...s.byFamily];
  const width = Math.max(8, ...families.map(([f]) => f.length));
  const head = ["family".padEnd(width), ...OUTCOMES.map((o) => o.padStart(11))].join(" ");
  const rows = families.map(([f, row]) =>
    [f.padEnd(width), ...OUTCOMES.map((o) => String(row[o]).padStart(11))].join(" "),
  );
  const totals = Object.fromEntries(
    OUTCOMES.map((o) => [o, families.reduce((n, [, row]) => n + row[o], 0)]),
  ) as Record<Outcome, number>;
  rows.push(["total".padEnd(width), ...OUTCOMES.map((o) => String(totals[o]).padStart(11))].join(" "));
  const lines = [
    `seed ${s.seed}: ${s.cases} cases in ${(s.ms / 1000).toFixed(1)} s`,
    head,
    ...rows,
    s.slowest
      ? `slowest case: #${s.slowest.index} (${s.slowest.family}, ${s.slowest.target}) ${s.slowest.ms.toFixed(0)} ms`
      : "",
    s.hungriest
      ? `most heap allocated by one case: #${s.hungriest.index} (${s.hungriest.family}) ${s.hungriest.heapMb.toFixed(1)} MB`
      : "",
    `live heap growth over the run: ${s.heapGrowthMb.toFixed(1)} MB; peak RSS ${s.peakRssMb.toFixed(0)} MB`,
  ];
  for (const bug of s.bugs) {
    lines.push(
      `BUG ${bug.outcome} in case #${bug.index} (${bug.family} → ${bug.target}); reproduce with --seed ${bug.seed} --case ${bug.index}`,
      `    ${(bug.detail ?? "").split("\n").slice(0, 4).join("\n    ")}`,
    );
  }
  return lines.filter((l) => l !== "").join("\n");
}
