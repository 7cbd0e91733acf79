import {
  AttachmentBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  EmbedBuilder,
} from "discord.js";
import { meterName, type Tune } from "../music/tune.js";
import { sentence } from "./attachments.js";
import type { BotContext } from "./context.js";
import { UserFacingError } from "./error-replies.js";
import { deadlineOf } from "./interaction-limits.js";
import { editIfInTime } from "./respond.js";
import { codeName, userText } from "./sanitize.js";
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
  /** What reading the file left out or simplified (voices, chords, ignored symbols). */
  readonly readingNotes?: readonly string[];
}

/** Longest title shown back (a user wrote it). */
const TITLE_MAX = 100;

/** Notes of up to 300 characters each stay well inside an embed description's 4096. */
const NOTES_SHOWN = 10;

/** A preview of a longer tune is not worth a composer thread's time. */
const PREVIEW_MAX_NOTES = 600;

/**
 * The preview is engraved on the composer's threads (engraving 200 notes takes ~0.1 s of
 * CPU, which would stall every other interaction on this thread); a busy composer does
 * not hold up the confirmation longer than this.
 */
const PREVIEW_WAIT_MS = 10_000;

export async function submitForTraining(bot: BotContext, offer: Offer): Promise<void> {
  const { interaction, tune } = offer;
  let training: ReturnType<typeof prepareTrainingTune>;
  try {
    training = prepareTrainingTune(tune, bot.vocabulary);
  } catch (e) {
    if (e instanceof UserFacingError)
      throw new UserFacingError(
        `I can't accept ${codeName(offer.fileName)} for training: ${sentence(e.message)}`,
      );
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
  // As /compose does for seeds: what reading left out, then how it will be learned.
  const notes = [...(offer.readingNotes ?? []).map((n) => `reading: ${n}`), ...training.notes];
  const embed = new EmbedBuilder()
    .setTitle(`Submitted: ${userText(submission.title, TITLE_MAX)}`)
    .setColor(0x1565c0)
    .setDescription(
      [
        `Thanks! Submission #${submission.id} is **pending**: an admin will review it before it joins the training data.`,
        ...notes.slice(0, NOTES_SHOWN).map((n) => `• ${userText(n, 300)}`),
      ].join("\n"),
    )
    .addFields(
      { name: "Meter", value: meterName(tune.meter), inline: true },
      { name: "Tokens", value: String(training.tokens.length), inline: true },
    );
  const files: AttachmentBuilder[] = [];
  const png = await preview(bot, tune, submission.id);
  if (png) {
    files.push(new AttachmentBuilder(Buffer.from(png), { name: "preview.png" }));
    embed.setImage("attachment://preview.png");
  }
  await editIfInTime(interaction, { embeds: [embed], files }, deadline, bot.log);
}

/** The engraved score, or undefined when the tune is too long, the composer too busy or it failed. */
async function preview(bot: BotContext, tune: Tune, submission: number): Promise<Uint8Array | undefined> {
  if (tune.elements.filter((e) => e.kind === "note").length > PREVIEW_MAX_NOTES) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const rendering = bot.jobs.render(tune, { instrument: "piano", audio: false });
    rendering.result.catch(() => {}); // may finish after we stopped waiting
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), PREVIEW_WAIT_MS);
    });
    const rendered = await Promise.race([rendering.result, late]);
    if (!rendered) bot.log.warn({ submission }, "the submission's preview was not ready in time");
    return rendered?.png;
  } catch (error) {
    bot.log.warn({ err: error, submission }, "could not engrave the submission's preview");
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
