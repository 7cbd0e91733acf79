import cliProgress from "cli-progress";
import type { EpochRecord, TrainProgress } from "../src/model/train-types.js";

/**
 * Training progress for a terminal: a live bar with loss, tokens/s and ETA on a TTY,
 * one line per epoch otherwise (CI logs, cron jobs).
 */
export function startProgressBar() {
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      format:
        "epoch {epoch} [{bar}] {percentage}% | loss {loss} (ppl {ppl}, acc {acc}) | {rate} tok/s | lr {lr} | ETA {eta_h}",
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: TrainProgress): void {
      if (!tty) return;
      const payload = {
        epoch: p.epoch + 1,
        loss: p.trainLoss.toFixed(3),
        ppl: Math.exp(p.trainLoss).toFixed(2),
        acc: percent(p.trainAccuracy),
        rate: Math.round(p.tokensPerSecond),
        lr: p.learningRate.toExponential(1),
        eta_h: formatEta(p.etaSeconds),
      };
      if (!started) {
        bar.start(p.stepsInEpoch, p.stepInEpoch, payload);
        started = true;
      }
      bar.setTotal(p.stepsInEpoch);
      bar.update(p.stepInEpoch, payload);
    },
    epoch(e: EpochRecord): void {
      log(
        `epoch ${e.epoch + 1}: train ${e.trainLoss.toFixed(3)} nats/token (perplexity ${Math.exp(e.trainLoss).toFixed(2)}, ` +
          `accuracy ${percent(e.trainAccuracy)}), validation ${e.valLoss.toFixed(3)} (perplexity ${Math.exp(e.valLoss).toFixed(2)}, ` +
          `accuracy ${percent(e.valAccuracy)})${e.improved ? " (best)" : ""}, lr ${e.learningRate.toExponential(1)}, ${Math.round(e.seconds)} s`,
      );
    },
    log,
    stop(): void {
      if (started) bar.stop();
    },
  };

  function log(line: string): void {
    if (tty && started) bar.stop();
    console.error(line);
    started = false;
  }
}

function percent(share: number | undefined): string {
  return share === undefined || Number.isNaN(share) ? "?" : `${(100 * share).toFixed(1)}%`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const m = Math.floor(seconds / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}`
    : `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}
