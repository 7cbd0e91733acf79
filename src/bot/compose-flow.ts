import {
  type Attachment,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  MessageFlags,
} from "discord.js";
import { type ComposeInput, type ComposeRequest, validateRequest } from "../compose/request.js";
import { checkUpload, fetchTune } from "./attachments.js";
import type { BotContext } from "./context.js";
import { withCooldown } from "./cooldowns.js";
import { beforeDeadline, TIMED_OUT } from "./deadline.js";
import { UserFacingError } from "./error-replies.js";
import { deadlineOf, uploadLimits } from "./interaction-limits.js";
import { editIfInTime } from "./respond.js";
import { tuneReply } from "./tune-reply.js";

/**
 * From a validated request to the tune in the (already deferred) reply: through the pool,
 * telling the user their place when they have to queue, and giving up cleanly rather than
 * editing after Discord has stopped accepting edits.
 */
export interface Composition {
  readonly interaction: ChatInputCommandInteraction | ButtonInteraction;
  readonly request: ComposeRequest;
  /** The stored seed the request was built from, so the tune's buttons can use it again. */
  readonly seedId?: number;
  /** A line above the tune (which button made it). */
  readonly content?: string;
  /** What reading the uploaded seed left out, to tell the user. */
  readonly seedNotes?: readonly string[];
}

export function queuedMessage(ahead: number): string {
  return `Queued — ${ahead} tune${ahead === 1 ? "" : "s"} ahead of yours… I'll post it here when it's done.`;
}

/** /compose: a tune from the slash command's options, continuing an uploaded seed if there is one. */
export async function composeFromCommand(
  bot: BotContext,
  interaction: ChatInputCommandInteraction,
  input: ComposeInput,
  seedUpload: Attachment | null,
  ephemeral: boolean,
): Promise<void> {
  const user = interaction.user.id;
  await withCooldown(bot.cooldowns, user, async (started) => {
    // Everything checkable without a download is refused before the deferral, at once.
    const settled = validateRequest(input, bot.settings.requestLimits);
    const limits = uploadLimits(bot, interaction);
    if (seedUpload) checkUpload(seedUpload, limits.maxBytes);
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    started();
    if (!seedUpload) {
      await composeIntoReply(bot, { interaction, request: settled });
      return;
    }
    const { tune, bytes, notes } = await fetchTune(seedUpload, limits);
    const request = validateRequest(
      { ...input, seedValue: settled.seedValue, seed: tune },
      bot.settings.requestLimits,
    );
    const seedId = bot.store.saveSeed({ userId: user, fileName: seedUpload.name, bytes });
    await composeIntoReply(bot, { interaction, request, seedNotes: notes, seedId });
  });
}

/** Throws ComposeBusyError (full queue), ComposeFailedError, or a UserFacingError when time ran out. */
export async function composeIntoReply(bot: BotContext, job: Composition): Promise<void> {
  const { interaction, request } = job;
  const deadline = deadlineOf(interaction, bot);
  // Keyed by the interaction: with a shared queue, a request that arrives twice is composed once.
  const submitted = bot.jobs.submit(request, { key: interaction.id });
  // It may fail (a shutdown refusing the queue) while the queue message is being sent: that
  // must not count as unhandled, it is awaited below.
  submitted.result.catch(() => {});
  const position = await submitted.position;
  bot.log.debug({ interaction: interaction.id, position }, "composition submitted");
  if (position > 0) {
    // Everyone running plus those queued before this one.
    const ahead = bot.jobs.running + position - 1;
    await editIfInTime(interaction, queuedMessage(ahead), deadline, bot.log).catch((error: unknown) => {
      bot.log.warn({ err: error, interaction: interaction.id }, "could not show the queue position");
    });
  }
  const result = await beforeDeadline(submitted.result, deadline);
  if (result === TIMED_OUT) {
    // It finishes later, unseen.
    throw new UserFacingError(
      "Sorry, the composer was too busy and your tune wasn't ready in time. Please try again in a little while.",
      "timed-out",
    );
  }
  bot.log.debug(
    { interaction: interaction.id, model: result.model, timings: result.timings },
    "tune composed",
  );
  await editIfInTime(
    interaction,
    tuneReply(result, {
      attachmentLimit: interaction.attachmentSizeLimit,
      ...(job.seedId !== undefined ? { seedId: job.seedId } : {}),
      ...(job.content ? { content: job.content } : {}),
      ...(job.seedNotes ? { seedNotes: job.seedNotes } : {}),
    }),
    deadline,
    bot.log,
  );
}
