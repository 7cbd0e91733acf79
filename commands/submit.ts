import { type ChatInputCommandInteraction, MessageFlags, SlashCommandBuilder } from "discord.js";
import { checkUpload, fetchTune } from "../src/bot/attachments.js";
import { tuneFileOption } from "../src/bot/command-options.js";
import type { BotContext } from "../src/bot/context.js";
import { uploadLimits } from "../src/bot/interaction-limits.js";
import { submitForTraining } from "../src/bot/submit-flow.js";

/** /submit: offer a tune for the model's next training run; an admin reviews it first. */
export const data = new SlashCommandBuilder()
  .setName("submit")
  .setDescription("Offer a tune for training the model (reviewed by an admin first)")
  .addAttachmentOption(tuneFileOption)
  .addStringOption((o) =>
    o.setName("title").setDescription("The tune's name (default: the file's title)").setMaxLength(100),
  )
  .addStringOption((o) =>
    o
      .setName("notes")
      .setDescription("Anything the reviewer should know (source, composer…)")
      .setMaxLength(500),
  );

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const upload = interaction.options.getAttachment("tune", true);
  const limits = uploadLimits(bot, interaction);
  checkUpload(upload, limits.maxBytes);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const { tune, bytes, notes } = await fetchTune(upload, limits);
  await submitForTraining(bot, {
    interaction,
    fileName: upload.name,
    bytes,
    tune,
    title: interaction.options.getString("title"),
    notes: interaction.options.getString("notes"),
    readingNotes: notes,
  });
}
