import {
  AttachmentBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  EmbedBuilder,
} from "discord.js";
import type { Tune } from "../music/tune.js";
import { renderScore } from "../render/score.js";
import { sentence } from "./attachments.js";
import { deadlineOf } from "./compose-flow.js";
import type { BotContext } from "./context.js";
import { UserFacingError } from "./errors.js";
import { editIfInTime } from "./respond.js";
import { userText } from "./sanitize.js";
import { prepareTrainingTune } from "./submission.js";

/**
 * Storing a tune someone offers for training, from /submit or a tune's Submit button:
 * judged as training data, refused with the reason, recognised if already submitted,
 * otherwise kept as pending and shown back as a score. The reply was deferred privately.
 */
export interface Offer {
  readonly interaction: ChatInputCommandInteraction | ButtonInteraction;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly tune: Tune;
  readonly title?: string | null;
  readonly notes?: string | null;
}

/** Longest title shown back (a user wrote it). */
const TITLE_MAX = 100;

/** Engraving is synchronous: a very long tune would hold up every other interaction. */
const PREVIEW_MAX_NOTES = 600;

export async function submitForTraining(bot: BotContext, offer: Offer): Promise<void> {
  const { interaction, tune } = offer;
  let training: ReturnType<typeof prepareTrainingTune>;
  try {
    training = prepareTrainingTune(tune, bot.vocabulary);
  } catch (e) {
    if (e instanceof UserFacingError)
      throw new UserFacingError(`I can't accept \`${offer.fileName}\` for training: ${sentence(e.message)}`);
    throw e;
  }
  const title = offer.title?.trim() || tune.title.trim() || "Untitled";
  const outcome = bot.store.addSubmission({
    guildId: interaction.guildId,
    userId: interaction.user.id,
    title,
    notes: offer.notes?.trim() || null,
    fileName: offer.fileName,
    original: offer.bytes,
    contentHash: training.contentHash,
    tokens: training.tokens,
  });
  const deadline = deadlineOf(interaction, bot);
  if (!outcome.added) {
    const { existing } = outcome;
    const who =
      existing.userId === interaction.user.id ? "You already submitted" : "Someone already submitted";
    throw new UserFacingError(
      `${who} this tune (as “${userText(existing.title, TITLE_MAX)}”, submission #${existing.id}, ${existing.status}). The same music in another key or spelling counts as the same tune. Thanks all the same!`,
      "duplicate",
    );
  }
  const { submission } = outcome;
  bot.log.info(
    {
      submission: submission.id,
      user: submission.userId,
      guild: submission.guildId,
      hash: submission.contentHash,
    },
    "tune submitted for training",
  );
  const embed = new EmbedBuilder()
    .setTitle(`Submitted: ${userText(submission.title, TITLE_MAX)}`)
    .setColor(0x1565c0)
    .setDescription(
      `Thanks! Submission #${submission.id} is **pending**: an admin will review it before it joins the training data.`,
    )
    .addFields(
      { name: "Meter", value: `${tune.meter.num}/${tune.meter.den}`, inline: true },
      { name: "Tokens", value: String(training.tokens.length), inline: true },
    );
  if (training.octaveShift !== 0)
    embed.addFields({
      name: "Note",
      value: `It will be learned ${Math.abs(training.octaveShift)} octave(s) ${training.octaveShift > 0 ? "higher" : "lower"}, in the range the model knows.`,
    });
  const files: AttachmentBuilder[] = [];
  const noteCount = tune.elements.filter((e) => e.kind === "note").length;
  if (noteCount <= PREVIEW_MAX_NOTES) {
    try {
      files.push(new AttachmentBuilder(Buffer.from(renderScore(tune).png), { name: "preview.png" }));
      embed.setImage("attachment://preview.png");
    } catch (error) {
      bot.log.warn({ err: error, submission: submission.id }, "could not engrave the submission's preview");
    }
  }
  await editIfInTime(interaction, { embeds: [embed], files }, deadline, bot.log);
}
