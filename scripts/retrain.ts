/**
 * Retrains the active model on the approved submissions and promotes the result if it
 * passes the gate (src/retrain). Exit status 0 when the run completed, promoted or not;
 * 1 when it failed; 2 for bad arguments.
 *
 *   npm run retrain -- [--steps 200] [--lr 0.0005] [--batch 32] [--seq 128] [--dry-run] [--json]
 *
 * Started by a parent with child_process.fork (or with --ipc) it also sends the messages
 * of src/retrain/run-reports.ts: over the IPC channel when there is one, else as JSON lines
 * on stdout. `--run-id <id>` takes over a queued run the parent created.
 */
import { config } from "../src/config.js";
import { formatDuration, RETRAIN_DEFAULTS, retrain } from "../src/retrain/retrain.js";
import type { RetrainMessage, RetrainProgress, RetrainSummary } from "../src/retrain/run-reports.js";
import { parseCommandLine } from "./command-line.js";
import { startProgressBar } from "./progress.js";

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run retrain -- [--steps N] [--lr x] [--batch B] [--seq L] [--dry-run] [--json]`,
  );
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseCommandLine(import.meta.url, {
      options: {
        steps: { type: "string" },
        lr: { type: "string" },
        batch: { type: "string" },
        seq: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        ipc: { type: "boolean", default: false },
        "run-id": { type: "string" },
        "requested-by": { type: "string" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();

const number = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) usage(`--${name} must be a number, not "${raw}"`);
  return n;
};

const cfg = config();
const steps = number("steps", values.steps) ?? cfg.retrainSteps;
const learningRate = number("lr", values.lr) ?? RETRAIN_DEFAULTS.learningRate;
const batchSize = number("batch", values.batch) ?? cfg.retrainBatchSize;
const seqLen = number("seq", values.seq) ?? cfg.retrainSeqLen;
const runId = number("run-id", values["run-id"]);

const channel = typeof process.send === "function";
const ipc = channel || values.ipc;
const json = values.json;
const pending: Promise<void>[] = [];
const send = (message: RetrainMessage): void => {
  if (!ipc) return;
  if (channel && process.connected) {
    pending.push(
      new Promise((resolve) => {
        process.send?.(message, undefined, {}, () => resolve());
      }),
    );
  } else if (!channel) process.stdout.write(`${JSON.stringify(message)}\n`);
};

// A parent reads messages, not a terminal bar; --json wants a clean stdout.
const bar = ipc || json ? undefined : startProgressBar();
const say = (line: string): void => (bar ? bar.log(line) : console.error(line));

const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    say(`${signal}: cancelling; nothing will be activated`);
    controller.abort();
  });

let currentRun = runId ?? 0;
const summary = await retrain({
  dataDir: cfg.dataDir,
  baseModelDir: cfg.modelDir,
  corpusDir: cfg.corpusDir,
  backend: cfg.tfBackend,
  steps,
  learningRate,
  batchSize,
  seqLen,
  toleranceBits: cfg.retrainToleranceBits,
  keepVersions: cfg.modelKeepVersions,
  dryRun: values["dry-run"],
  ...(runId !== undefined ? { runId } : {}),
  requestedBy: values["requested-by"] ?? process.env.USER ?? "cli",
  signal: controller.signal,
  onStarted: (id) => {
    currentRun = id;
    send({ type: "started", runId: id, pid: process.pid });
  },
  onProgress: (p: RetrainProgress) => {
    send({ type: "progress", runId: currentRun, ...p });
    if (bar && p.phase === "training")
      bar.update({
        step: p.step,
        epoch: 0,
        stepInEpoch: p.step,
        stepsInEpoch: p.totalSteps,
        trainLoss: p.loss ?? Number.NaN,
        trainAccuracy: Number.NaN,
        tokensPerSecond: p.tokensPerSecond,
        etaSeconds: p.etaSeconds ?? Number.POSITIVE_INFINITY,
        learningRate,
      });
  },
  onLog: (line) => {
    send({ type: "log", runId: currentRun, line });
    say(line);
  },
}).catch((error: Error): RetrainSummary => {
  // Only when no run could be recorded (e.g. the given --run-id does not exist).
  say(`retraining could not start: ${error.message}`);
  process.exit(1);
});
bar?.stop();

send({ type: "result", ...summary });
await Promise.all(pending);
if (channel && process.connected) process.disconnect();

if (json) console.log(JSON.stringify(summary, null, 2));
else console.log(report(summary));
process.exitCode = summary.status === "failed" ? 1 : 0;

function report(s: RetrainSummary): string {
  if (s.status === "failed") return `Retraining run #${s.runId} failed: ${s.error ?? "unknown error"}`;
  const cell = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));
  const current = `current (${s.parent ?? "?"})`;
  const next = `new (${s.versionId ?? "?"})`;
  const row = (label: string, a: string, b: string) =>
    `${label.padEnd(22)}${a.padStart(current.length)}   ${b.padStart(next.length)}`;
  const lines = [
    `Retraining run #${s.runId}: ${s.submissions.train.length} submissions learnt, ${s.submissions.heldOut.length} held out, ` +
      `${s.steps} steps in ${formatDuration(s.seconds)}`,
    row("bits/note", current, next),
    row("base corpus", cell(s.old?.base), cell(s.new?.base)),
    row("held-out submissions", cell(s.old?.submissions), cell(s.new?.submissions)),
    ...s.reasons.map((r) => `  ${r}`),
  ];
  lines.push(
    s.promoted
      ? `Promoted: ${s.versionId} is now the active model.`
      : s.status === "succeeded"
        ? `Dry run: ${s.versionId} passed the gate but was not activated.`
        : `Not promoted: version ${s.parent} stays active (${s.versionId} is kept, marked rejected).`,
  );
  return lines.join("\n");
}
