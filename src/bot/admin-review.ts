import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type InteractionEditReplyOptions,
} from "discord.js";
import type { Renderings } from "../compose/renderings.js";
import type { ReviewDecision, Submission } from "../store/submissions.js";
import { readTune } from "./attachments.js";
import type { BotContext } from "./context.js";
import { userText } from "./sanitize.js";

/**
 * Reviewing submissions one at a time: the oldest pending tune with its score and audio,
 * and Approve / Reject buttons whose custom ids carry the submission id (so they work
 * after a restart). Each decision shows the next pending tune in the same message.
 */
export const ADMIN_PREFIX = "adm";

export function reviewButtonId(decision: ReviewDecision, submissionId: number): string {
  return `${ADMIN_PREFIX}:${decision === "approved" ? "approve" : "reject"}:${submissionId}`;
}

export function parseReviewButton(customId: string): { decision: ReviewDecision; id: number } | undefined {
  const match = /^adm:(approve|reject):(\d{1,15})$/.exec(customId);
  if (!match) return undefined;
  return { decision: match[1] === "approve" ? "approved" : "rejected", id: Number(match[2]) };
}

/** The review message for the next pending submission, or word that there is none. */
export async function nextReviewMessage(
  bot: BotContext,
  preface?: string,
): Promise<InteractionEditReplyOptions> {
  const submission = bot.store.nextPending();
  const lead = preface ? `${preface}\n` : "";
  if (!submission) {
    return {
      content: `${lead}No submissions are waiting for review.`,
      embeds: [],
      files: [],
      attachments: [],
      components: [],
    };
  }
  const embed = new EmbedBuilder()
    .setTitle(`#${submission.id}: ${userText(submission.title, 100) || "Untitled"}`)
    .setColor(0x6a1b9a)
    .addFields(
      { name: "From", value: `<@${submission.userId}>`, inline: true },
      { name: "Sent", value: `<t:${Math.floor(Date.parse(submission.createdAt) / 1000)}:R>`, inline: true },
      { name: "File", value: userText(submission.fileName, 80) || "?", inline: true },
    )
    .setFooter({ text: `${bot.store.countSubmissions("pending")} waiting for review` });
  if (submission.notes) embed.setDescription(userText(submission.notes, 500));
  const { files, problem } = await previewFiles(bot, submission);
  if (files.some((f) => f.name === "preview.png")) embed.setImage("attachment://preview.png");
  if (problem) embed.addFields({ name: "Preview", value: problem });
  const buttons = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(reviewButtonId("approved", submission.id))
      .setLabel("Approve")
      .setStyle(ButtonStyle.Success),
    new ButtonBuilder()
      .setCustomId(reviewButtonId("rejected", submission.id))
      .setLabel("Reject")
      .setStyle(ButtonStyle.Danger),
  );
  return {
    content: lead || null,
    embeds: [embed],
    files: files.map((f) => new AttachmentBuilder(Buffer.from(f.bytes), { name: f.name })),
    attachments: [],
    components: [buttons],
  };
}

/** Score and audio of the submitted file, rendered on the composer's workers. */
async function previewFiles(
  bot: BotContext,
  submission: Submission,
): Promise<{ files: { name: string; bytes: Uint8Array }[]; problem?: string }> {
  try {
    const { tune } = readTune(submission.fileName, submission.original, {
      maxBytes: Number.POSITIVE_INFINITY,
      maxNotes: bot.settings.maxSeedNotes,
      maxBars: bot.settings.maxSeedBars,
    });
    const renderings: Renderings = await bot.jobs.render(tune, { instrument: "piano" }).result;
    return {
      files: [
        ...(renderings.png ? [{ name: "preview.png", bytes: renderings.png }] : []),
        ...(renderings.ogg ? [{ name: "preview.ogg", bytes: renderings.ogg }] : []),
        { name: "submission.abc", bytes: new TextEncoder().encode(renderings.abc) },
      ],
    };
  } catch (error) {
    bot.log.warn({ err: error, submission: submission.id }, "could not render a submission for review");
    return { files: [], problem: "No preview: the file could not be rendered (see the bot's log)." };
  }
}
