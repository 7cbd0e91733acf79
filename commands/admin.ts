import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import { ADMIN_PREFIX, nextReviewMessage, parseReviewButton } from "../src/bot/admin-review.js";
import type { BotContext } from "../src/bot/context.js";
import { UserFacingError } from "../src/bot/error-replies.js";
import { forgetReport } from "../src/bot/forget-report.js";
import { adminOnly } from "../src/bot/preconditions.js";
import type { ModelCard } from "../src/model/card.js";
import { ModelVersionError } from "../src/versions/version-ids.js";

/**
 * /admin: reviewing submissions, retraining, and choosing the model version. Hidden from
 * non-administrators by Discord (default member permissions) and, because a server can
 * change that, checked again at run time against ADMIN_USER_IDS / ADMIN_ROLE_IDS.
 */
/** What Discord lets an admin type; the run itself validates again. */
const RETRAIN_LIMITS = {
  steps: { min: 1, max: 100_000 },
  learningRate: { min: 1e-6, max: 10 },
};

export const data = new SlashCommandBuilder()
  .setName("admin")
  .setDescription("Tunesmith administration (bot admins only)")
  .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName("review").setDescription("Review submitted tunes one by one"))
  .addSubcommand((s) =>
    s
      .setName("retrain")
      .setDescription("Fine-tune the model on approved submissions; promoted only if it is not worse")
      .addIntegerOption((o) =>
        o
          .setName("steps")
          .setDescription("Training steps (default from RETRAIN_STEPS)")
          .setMinValue(RETRAIN_LIMITS.steps.min)
          .setMaxValue(RETRAIN_LIMITS.steps.max),
      )
      .addNumberOption((o) =>
        o
          .setName("learning_rate")
          .setDescription("Learning rate (default 0.0005)")
          .setMinValue(RETRAIN_LIMITS.learningRate.min)
          .setMaxValue(RETRAIN_LIMITS.learningRate.max),
      ),
  )
  .addSubcommandGroup((g) =>
    g
      .setName("model")
      .setDescription("The model version the bot composes with")
      .addSubcommand((s) => s.setName("show").setDescription("The active version, its card and the history"))
      .addSubcommand((s) =>
        s
          .setName("promote")
          .setDescription("Make a version active")
          .addStringOption((o) =>
            o
              .setName("version")
              .setDescription("Version id, e.g. v3 or 0")
              .setRequired(true)
              .setAutocomplete(true),
          ),
      )
      .addSubcommand((s) =>
        s.setName("rollback").setDescription("Go back to the version active before this one"),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName("forget")
      .setDescription("Delete a user's stored seeds and untrained submissions (as /forget does for them)")
      .addStringOption((o) =>
        o
          .setName("user_id")
          .setDescription("The user's id (Developer Mode: right-click → Copy User ID)")
          .setRequired(true)
          .setMinLength(17)
          .setMaxLength(20),
      ),
  );

export const buttonPrefix = ADMIN_PREFIX;
/** Every /admin command and button: the bot's admins only, checked again whatever Discord shows. */
export const preconditions = [adminOnly];

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const group = interaction.options.getSubcommandGroup(false);
  const sub = interaction.options.getSubcommand(true);
  const action = group ? `${group} ${sub}` : sub;
  switch (action) {
    case "review":
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await interaction.editReply(await nextReviewMessage(bot));
      return;
    case "retrain": {
      const steps = interaction.options.getInteger("steps");
      const learningRate = interaction.options.getNumber("learning_rate");
      await bot.retraining.start(interaction, {
        ...(steps !== null ? { steps } : {}),
        ...(learningRate !== null ? { learningRate } : {}),
      });
      return;
    }
    case "model show":
      await interaction.reply({ embeds: [modelEmbed(bot)], flags: MessageFlags.Ephemeral });
      return;
    case "model promote":
    case "model rollback": {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const before = bot.jobs.model.version;
      try {
        if (sub === "promote") await bot.versions.activate(interaction.options.getString("version", true));
        else await bot.versions.rollback();
      } catch (error) {
        if (error instanceof ModelVersionError)
          throw new UserFacingError(`That didn't work: ${error.message}.`);
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
      return;
    }
    case "forget": {
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
      return;
    }
    default:
      throw new UserFacingError(`I don't know /admin ${action}.`);
  }
}

export async function press(interaction: ButtonInteraction, bot: BotContext): Promise<void> {
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

export async function autocomplete(interaction: AutocompleteInteraction, bot: BotContext): Promise<void> {
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
