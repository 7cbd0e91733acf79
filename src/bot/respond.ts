import { type InteractionEditReplyOptions, MessageFlags, type RepliableInteraction } from "discord.js";
import type { Logger } from "pino";
import type { Deadline } from "./deadline.js";

/**
 * Sending to an interaction without tripping over its state or its deadline. Errors and
 * refusals are only ever shown to the user who caused them (ephemeral), even when the
 * reply was deferred publicly: that deferral is deleted and the message sent privately.
 */

/** Clears what a previous edit put on the reply (embed, files, buttons). */
const BLANK: InteractionEditReplyOptions = { embeds: [], files: [], attachments: [], components: [] };

export async function tellPrivately(
  interaction: RepliableInteraction,
  content: string,
  deadline: Deadline,
  log: Logger,
): Promise<void> {
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ content, flags: MessageFlags.Ephemeral });
    return;
  }
  if (!deadline.canSend) {
    log.warn({ interaction: interaction.id }, "interaction expired; the user's message was not sent");
    return;
  }
  if (interaction.ephemeral) {
    await interaction.editReply({ ...BLANK, content });
    return;
  }
  // A public "thinking…" message must not carry someone's mistake: remove it, answer privately.
  await interaction.deleteReply().catch((error: unknown) => {
    log.warn({ err: error, interaction: interaction.id }, "could not delete the deferred reply");
  });
  await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
}

/** Edits the reply if Discord will still accept it; says whether it was sent. */
export async function editIfInTime(
  interaction: RepliableInteraction,
  options: InteractionEditReplyOptions | string,
  deadline: Deadline,
  log: Logger,
): Promise<boolean> {
  if (!deadline.canSend) {
    log.warn({ interaction: interaction.id }, "interaction expired; the edit was not sent");
    return false;
  }
  await interaction.editReply(options);
  return true;
}
