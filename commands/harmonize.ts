import { type ChatInputCommandInteraction, MessageFlags, SlashCommandBuilder } from "discord.js";
import { checkUpload, fetchTune } from "../src/bot/attachments.js";
import { accompanimentOption, instrumentOption, tuneFileOption } from "../src/bot/command-options.js";
import type { BotContext } from "../src/bot/context.js";
import { withCooldown } from "../src/bot/cooldowns.js";
import { UserFacingError } from "../src/bot/error-replies.js";
import { harmonizeIntoReply } from "../src/bot/harmonize-flow.js";
import { uploadLimits } from "../src/bot/interaction-limits.js";
import { DEFAULTS } from "../src/compose/request.js";
import {
  ACCOMPANIMENT_NAMES,
  type AccompanimentName,
  DEFAULT_ACCOMPANIMENT,
  INSTRUMENT_NAMES,
  type InstrumentName,
} from "../src/render/instruments.js";

/** /harmonize: chords for a user's own tune, with score, MIDI and audio. */
export const data = new SlashCommandBuilder()
  .setName("harmonize")
  .setDescription("Give your tune chords: chord chart, ABC with chords, score, MIDI and audio with a backing")
  .addAttachmentOption(tuneFileOption)
  .addStringOption(instrumentOption("What plays the melody; default fiddle"))
  .addStringOption(accompanimentOption)
  .addBooleanOption((o) => o.setName("private").setDescription("Only you see the result; default no"));

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  await withCooldown(bot.cooldowns, interaction.user.id, async (started) => {
    const o = interaction.options;
    const upload = o.getAttachment("tune", true);
    const instrument = (o.getString("instrument") ?? DEFAULTS.instrument) as InstrumentName;
    const accompaniment = (o.getString("accompaniment") ?? DEFAULT_ACCOMPANIMENT) as AccompanimentName;
    if (!INSTRUMENT_NAMES.includes(instrument) || !ACCOMPANIMENT_NAMES.includes(accompaniment)) {
      throw new UserFacingError(
        `instrument must be one of ${INSTRUMENT_NAMES.join(", ")}; accompaniment one of ${ACCOMPANIMENT_NAMES.join(", ")}`,
      );
    }
    const limits = uploadLimits(bot, interaction);
    checkUpload(upload, limits.maxBytes);
    await interaction.deferReply(o.getBoolean("private") ? { flags: MessageFlags.Ephemeral } : {});
    started();
    const { tune, notes } = await fetchTune(upload, limits);
    await harmonizeIntoReply(bot, { interaction, tune, instrument, accompaniment, notes });
  });
}
