import type { UploadLimits } from "./attachments.js";
import type { BotContext } from "./context.js";
import type { Deadline } from "./deadline.js";

/**
 * What one interaction may bring and how long it may take, from the bot's settings: the
 * limits on the files it uploads (seeds, submissions, tunes to harmonise) and the moment
 * Discord stops taking its replies. Every flow that downloads or replies late asks here.
 */

/** Upload limits for files this interaction brings. */
export function uploadLimits(bot: BotContext, interaction: { attachmentSizeLimit: number }): UploadLimits {
  return {
    maxBytes: Math.min(bot.settings.maxAttachmentBytes, interaction.attachmentSizeLimit),
    maxNotes: bot.settings.maxSeedNotes,
    maxBars: bot.settings.maxSeedBars,
    timeoutMs: bot.settings.downloadTimeoutMs,
    slots: bot.downloads,
  };
}

/** When Discord stops taking replies to the interaction, on this host's clock (see DiscordClock). */
export function deadlineOf(interaction: { createdTimestamp: number }, bot: BotContext): Deadline {
  return bot.clock.deadline(interaction, bot.settings.interactionLifetimeMs);
}
