import { EmbedBuilder } from "discord.js";
import { formatDuration } from "../retrain/retrain.js";
import type { RetrainProgress, RetrainSummary } from "../retrain/run-reports.js";

/**
 * What an admin watching a retraining run sees: a progress embed edited as the run goes,
 * then the result (old vs new scores, the decision and why). Pure: the caller sends them.
 */
const BAR_WIDTH = 20;

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)} ${Math.floor(clamped * 100)}%`;
}

const PHASES: Record<RetrainProgress["phase"], string> = {
  preparing: "Preparing the data",
  evaluating: "Scoring the models on held-out tunes",
  training: "Training",
  saving: "Saving the new version",
};

export function progressEmbed(runId: number, p: RetrainProgress): EmbedBuilder {
  const lines = [
    `${PHASES[p.phase]}…`,
    `\`${progressBar(p.totalSteps > 0 ? p.step / p.totalSteps : 0)}\``,
    `step ${p.step}/${p.totalSteps}`,
  ];
  const stats = [
    p.loss !== null ? `loss ${p.loss.toFixed(3)}` : undefined,
    p.tokensPerSecond > 0 ? `${Math.round(p.tokensPerSecond).toLocaleString("en-US")} tokens/s` : undefined,
    p.etaSeconds !== null ? `about ${formatDuration(p.etaSeconds)} left` : undefined,
  ].filter(Boolean);
  if (stats.length > 0) lines.push(stats.join(" · "));
  return new EmbedBuilder()
    .setTitle(`Retraining run #${runId}`)
    .setColor(0xef6c00)
    .setDescription(lines.join("\n"));
}

const bits = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(3));

export function resultEmbed(summary: RetrainSummary, hasCurve: boolean): EmbedBuilder {
  const verdict = summary.promoted
    ? `Promoted: version **${summary.versionId}** now composes every tune.`
    : summary.status === "failed"
      ? "The run failed; the current model stays."
      : summary.dryRun && summary.status === "succeeded"
        ? `Dry run: version ${summary.versionId} passed the checks but was not activated.`
        : "Not promoted; the current model stays.";
  const embed = new EmbedBuilder()
    .setTitle(`Retraining run #${summary.runId}: ${summary.status}`)
    .setColor(summary.promoted ? 0x2e7d32 : summary.status === "failed" ? 0xc62828 : 0x757575)
    .setDescription([verdict, ...summary.reasons.map((r) => `• ${r}`)].join("\n").slice(0, 4000));
  if (summary.old || summary.new) {
    embed.addFields(
      {
        name: "Base tunes (bits/note)",
        value: `${bits(summary.old?.base)} → ${bits(summary.new?.base)}`,
        inline: true,
      },
      {
        name: "Held-out submissions",
        value: `${bits(summary.old?.submissions)} → ${bits(summary.new?.submissions)}`,
        inline: true,
      },
      {
        name: "Training",
        value: `${summary.submissions.train.length} tunes, ${summary.steps} steps, ${formatDuration(summary.seconds)}`,
        inline: true,
      },
    );
  }
  if (hasCurve) embed.setImage("attachment://loss-curve.png");
  return embed;
}
