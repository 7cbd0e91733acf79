import { type ButtonInteraction, MessageFlags } from "discord.js";
import { validateRequest } from "../compose/request.js";
import type { Tune } from "../music/tune.js";
import { download, readTune, type UploadLimits } from "./attachments.js";
import { composeIntoReply } from "./compose-flow.js";
import type { BotContext } from "./context.js";
import { withCooldown } from "./cooldowns.js";
import { decodeTuneButton, stepTemperature, type TuneAction, type TuneSettings } from "./custom-id.js";
import { UserFacingError } from "./error-replies.js";
import { uploadLimits } from "./interaction-limits.js";
import { submitForTraining } from "./submit-flow.js";
import { formatTemperature } from "./tune-reply.js";

/**
 * The buttons under a composed tune — Another one, Hotter, Cooler, Continue and Submit. A
 * button's settings travel in its custom id (custom-id.ts); what differs between the buttons
 * is only the settings they change, the seed and the line above the new tune.
 */
const OUTDATED =
  "This button is from an older version of the bot and no longer works. Run /compose for a new tune.";

export async function pressTuneButton(interaction: ButtonInteraction, bot: BotContext): Promise<void> {
  const button = decodeTuneButton(interaction.customId);
  if (!button) throw new UserFacingError(OUTDATED, "unknown");
  const limits = uploadLimits(bot, interaction);
  if (button.action === "submit") {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { tune, bytes } = await tuneOfMessage(interaction, limits);
    await submitForTraining(bot, { interaction, fileName: "tune.abc", bytes, tune });
    return;
  }
  const settings = button.settings;
  if (!settings) throw new UserFacingError(OUTDATED, "unknown");
  const action = button.action;
  const user = interaction.user.id;
  await withCooldown(bot.cooldowns, user, async (started) => {
    // A private tune's variations stay private.
    const ephemeral = interaction.message.flags.has(MessageFlags.Ephemeral);
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    started();
    const { next, content, seed } = await variation(action, settings, interaction, bot, limits);
    const request = validateRequest(
      {
        temperature: next.temperature,
        style: next.style,
        key: next.key,
        instrument: next.instrument,
        // Continue adds one part, as long as the tune's parts.
        ...(action === "more" ? {} : { bars: next.bars }),
        ...(next.form !== undefined ? { form: next.form } : {}),
        tempo: next.tempo,
        seedValue: next.seedValue,
        ...(seed ? { seed: seed.tune } : {}),
        ...(next.chords === false ? { chords: false } : {}),
        ...(next.accompaniment ? { accompaniment: next.accompaniment } : {}),
        ...(next.bodhran ? { bodhran: true } : {}),
      },
      bot.settings.requestLimits,
    );
    await composeIntoReply(bot, {
      interaction,
      request,
      content,
      ...(seed?.id !== undefined ? { seedId: seed.id } : {}),
    });
  });
}

export interface Variation {
  readonly next: TuneSettings;
  /** The line above the new tune. */
  readonly content: string;
  /** The tune to continue (Continue), or the stored seed the original tune came from. */
  readonly seed?: { readonly tune: Tune; readonly id?: number };
}

/** What a button changes: the settings, the line above the tune, the seed. */
export async function variation(
  action: Exclude<TuneAction, "submit">,
  settings: TuneSettings,
  interaction: ButtonInteraction,
  bot: BotContext,
  limits: UploadLimits,
): Promise<Variation> {
  const by = `(for ${interaction.user.displayName}):`;
  switch (action) {
    case "again":
      return {
        next: { ...settings, seedValue: randomSeedValue() },
        content: `Another one ${by}`,
        ...storedSeed(settings, bot, limits),
      };
    case "hot":
    case "cool": {
      const temperature = stepTemperature(settings.temperature, action === "hot" ? 1 : -1);
      return {
        next: { ...settings, temperature },
        content: `${action === "hot" ? "Hotter" : "Cooler"}: temperature ${formatTemperature(temperature)} ${by}`,
        ...storedSeed(settings, bot, limits),
      };
    }
    case "more": {
      // The tune to continue is the ABC attached to the message: nothing to remember.
      const { tune, bytes } = await tuneOfMessage(interaction, limits);
      const id = bot.store.saveSeed({ userId: interaction.user.id, fileName: "tune.abc", bytes });
      return {
        next: { ...settings, seedValue: randomSeedValue() },
        content: `Continued ${by}`,
        seed: { tune, id },
      };
    }
  }
}

/** The seed a tune was composed from, read back from the store for a variation of it. */
function storedSeed(settings: TuneSettings, bot: BotContext, limits: UploadLimits): Pick<Variation, "seed"> {
  if (settings.seedId === undefined) return {};
  const stored = bot.store.getSeed(settings.seedId);
  if (!stored)
    throw new UserFacingError(
      "The seed of this tune is no longer stored. Use /compose with the seed file again.",
    );
  return { seed: { tune: readTune(stored.fileName, stored.bytes, limits).tune, id: settings.seedId } };
}

function randomSeedValue(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** The tune.abc attached to the message the button is on. */
async function tuneOfMessage(
  interaction: ButtonInteraction,
  limits: UploadLimits,
): Promise<{ tune: Tune; bytes: Uint8Array }> {
  const file = interaction.message.attachments.find((a) => a.name === "tune.abc");
  if (!file) throw new UserFacingError("This message has no tune.abc any more, so I can't use its tune.");
  const bytes = await download(file, limits);
  return { tune: readTune(file.name, bytes, limits).tune, bytes };
}
