import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  EmbedBuilder,
  MessageFlags,
} from "discord.js";
import type { ModelCard } from "../model/card.js";
import { ModelVersionError } from "../versions/version-ids.js";
import { nextReviewMessage, parseReviewButton } from "./admin-review.js";
import type { BotContext } from "./context.js";
import { UserFacingError } from "./error-replies.js";
import { forgetReport } from "./forget-report.js";

/**
 * What /admin does, subcommand by subcommand, so that the command file holds its definition
 * and a dispatch: the next tune to review, a retraining run, the model versions, and deleting
 * a user's data. Every action an admin takes is logged for audit.
 */
export async function reviewNext(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await interaction.editReply(await nextReviewMessage(bot));
}

export async function startRetraining(
  interaction: ChatInputCommandInteraction,
  bot: BotContext,
): Promise<void> {
  const steps = interaction.options.getInteger("steps");
  const learningRate = interaction.options.getNumber("learning_rate");
  await bot.retraining.start(interaction, {
    ...(steps !== null ? { steps } : {}),
    ...(learningRate !== null ? { learningRate } : {}),
  });
}

export async function showModel(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  await interaction.reply({ embeds: [modelEmbed(bot)], flags: MessageFlags.Ephemeral });
}

/** `promote <version>` or `rollback`: switches the active version, saved across restarts. */
export async function switchModel(
  interaction: ChatInputCommandInteraction,
  bot: BotContext,
  how: "promote" | "rollback",
): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const before = bot.jobs.model.version;
  try {
    if (how === "promote") await bot.versions.activate(interaction.options.getString("version", true));
    else await bot.versions.rollback();
  } catch (error) {
    if (error instanceof ModelVersionError) throw new UserFacingError(`That didn't work: ${error.message}.`);
    throw error;
  }
  const serving = await bot.follower.sync();
  bot.log.info(
    { audit: "admin", user: interaction.user.id, from: before, to: serving.version },
    "model switched",
  );
  await interaction.editReply(
    `Now composing with version **${serving.version}** (was ${before}). The switch is saved: it survives restarts.`,
  );
}

/** Deletes another user's stored seeds and untrained submissions, as /forget does for oneself. */
export async function forgetUser(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const userId = interaction.options.getString("user_id", true).trim();
  if (!/^\d{17,20}$/.test(userId))
    throw new UserFacingError("That is not a user id: a user id is 17 to 20 digits.");
  const result = bot.store.forgetUser(userId);
  bot.log.info(
    {
      audit: "admin",
      user: interaction.user.id,
      forgot: userId,
      seeds: result.seedsDeleted,
      submissions: result.submissionsDeleted.map((s) => s.id),
      kept: result.trained.map((s) => s.id),
    },
    "a user's data deleted by an admin",
  );
  await interaction.reply({
    content: forgetReport(result, `user \`${userId}\``),
    flags: MessageFlags.Ephemeral,
  });
}

/** Approve or Reject on a submission under review; then the next one. */
export async function reviewButton(interaction: ButtonInteraction, bot: BotContext): Promise<void> {
  const parsed = parseReviewButton(interaction.customId);
  if (!parsed) throw new UserFacingError("This admin button is from an older version of the bot.", "unknown");
  await interaction.deferUpdate();
  const outcome = bot.store.reviewSubmission(parsed.id, parsed.decision, interaction.user.id);
  const preface = outcome.ok
    ? `${parsed.decision === "approved" ? "Approved" : "Rejected"} #${parsed.id}.`
    : `Nothing changed: ${outcome.reason}.`;
  if (outcome.ok)
    bot.log.info(
      { audit: "admin", user: interaction.user.id, submission: parsed.id, decision: parsed.decision },
      "submission reviewed",
    );
  await interaction.editReply(await nextReviewMessage(bot, preface));
}

/** The versions on disk matching what the admin typed, newest first. */
export async function versionChoices(interaction: AutocompleteInteraction, bot: BotContext): Promise<void> {
  const typed = String(interaction.options.getFocused()).toLowerCase();
  const choices = bot.versions
    .listVersions()
    .filter((v) => v.onDisk && v.id.toLowerCase().includes(typed))
    .reverse()
    .slice(0, 25)
    .map((v) => ({ name: `${v.id}${v.active ? " (active)" : ""} · ${v.status}`, value: v.id }));
  await interaction.respond(choices);
}

function modelEmbed(bot: BotContext): EmbedBuilder {
  const versions = bot.versions.listVersions();
  const active = versions.find((v) => v.active);
  const card = active?.card;
  const embed = new EmbedBuilder()
    .setTitle(`Model version ${bot.jobs.model.version}`)
    .setColor(0x37474f)
    .setDescription(
      card
        ? [
            `**${card.name}**, trained ${card.created}`,
            card.training?.parent ? `fine-tuned from version ${card.training.parent}` : "the shipped model",
            `validation: ${bitsText(card)} bits/note on held-out base tunes`,
          ].join("\n")
        : "No card for this version.",
    );
  const history = versions
    .slice(-15)
    .reverse()
    .map(
      (v) =>
        `\`${v.id}\` ${v.active ? "**active**" : v.onDisk ? v.status : `${v.status}, deleted`} · ${bitsText(v.card)} bits/note`,
    );
  embed.addFields({ name: "History (newest first)", value: history.join("\n").slice(0, 1024) || "–" });
  return embed;
}

function bitsText(card: ModelCard | undefined): string {
  const bits = card?.results?.validationBitsPerNote;
  return typeof bits === "number" && Number.isFinite(bits) ? bits.toFixed(3) : "–";
}
