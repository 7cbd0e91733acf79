import { type ChatInputCommandInteraction, MessageFlags, SlashCommandBuilder } from "discord.js";
import type { BotContext } from "../src/bot/context.js";
import { forgetReport } from "../src/bot/forget-report.js";

/**
 * /forget: deletes what Tunesmith stores about the caller: uploaded seeds, and submissions
 * not trained on yet. Submissions a model version was trained on are listed, not deleted.
 * Admins do the same for any user id with /admin forget.
 */
export const data = new SlashCommandBuilder()
  .setName("forget")
  .setDescription("Delete your stored seeds and your submissions not yet used for training");

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const user = interaction.user.id;
  const result = bot.store.forgetUser(user);
  bot.log.info(
    {
      audit: "forget",
      user,
      seeds: result.seedsDeleted,
      submissions: result.submissionsDeleted.map((s) => s.id),
      kept: result.trained.map((s) => s.id),
    },
    "a user's data deleted at their request",
  );
  await interaction.reply({ content: forgetReport(result, "yours"), flags: MessageFlags.Ephemeral });
}
