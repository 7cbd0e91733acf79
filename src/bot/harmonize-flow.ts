import { AttachmentBuilder, type ChatInputCommandInteraction, EmbedBuilder } from "discord.js";
import { harmonise } from "../music/harmony/harmonise.js";
import { loadHarmonyTables } from "../music/harmony/load.js";
import { tonicName } from "../music/key.js";
import { meterName, type Tune } from "../music/tune.js";
import type { AccompanimentName, InstrumentName } from "../render/instruments.js";
import type { BotContext } from "./context.js";
import { beforeDeadline, TIMED_OUT } from "./deadline.js";
import { UserFacingError } from "./error-replies.js";
import { deadlineOf } from "./interaction-limits.js";
import { editIfInTime } from "./respond.js";
import { userText } from "./sanitize.js";
import { chordsField, fitFiles, tuneFiles } from "./tune-reply.js";

/**
 * /harmonize: a user's tune back with chords — the chart in the embed, the ABC with chord
 * symbols, the score, and MIDI and audio with the backing. Harmonising takes milliseconds
 * and runs here; the renderings run on the composer's workers.
 */
export interface Harmonization {
  readonly interaction: ChatInputCommandInteraction;
  readonly tune: Tune;
  readonly instrument: InstrumentName;
  readonly accompaniment: AccompanimentName;
  /** What reading the upload left out, to tell the user. */
  readonly notes: readonly string[];
}

export async function harmonizeIntoReply(bot: BotContext, job: Harmonization): Promise<void> {
  const { interaction } = job;
  const deadline = deadlineOf(interaction, bot);
  const tune = harmonise(job.tune, loadHarmonyTables());
  const submitted = bot.jobs.render(tune, {
    instrument: job.instrument,
    accompaniment: job.accompaniment,
  });
  submitted.result.catch(() => {});
  const renderings = await beforeDeadline(submitted.result, deadline);
  if (renderings === TIMED_OUT) {
    throw new UserFacingError(
      "Sorry, the composer was too busy and your tune wasn't ready in time. Please try again in a little while.",
      "timed-out",
    );
  }
  const { kept, dropped } = fitFiles(tuneFiles({ renderings }), interaction.attachmentSizeLimit);
  const embed = new EmbedBuilder()
    .setTitle(userText(tune.title, 100) || "Your tune")
    .setColor(0x2e7d32)
    .addFields(
      { name: "Key", value: `${tonicName(tune.key.tonic)} ${tune.key.mode}`, inline: true },
      { name: "Meter", value: meterName(tune.meter), inline: true },
      { name: "Instrument", value: `${job.instrument}, ${job.accompaniment} backing`, inline: true },
    );
  const chords = chordsField(tune);
  if (chords) embed.addFields(chords);
  const notes = [...job.notes.map((n) => `reading your file: ${n}`)];
  if (dropped.length > 0)
    notes.push(`${dropped.join(" and ")} left out: the files were over Discord's upload limit`);
  if (notes.length > 0) embed.setDescription(notes.map((n) => `• ${userText(n, 300)}`).join("\n"));
  if (kept.some((f) => f.name === "score.png")) embed.setImage("attachment://score.png");
  await editIfInTime(
    interaction,
    {
      embeds: [embed],
      files: kept.map((f) => new AttachmentBuilder(Buffer.from(f.bytes), { name: f.name })),
    },
    deadline,
    bot.log,
  );
}
