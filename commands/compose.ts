import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  MessageFlags,
  SlashCommandBuilder,
} from "discord.js";
import { checkUpload, download, fetchTune, readTune, TUNE_FILE_KINDS } from "../src/bot/attachments.js";
import { checkCooldown, composeIntoReply, uploadLimits } from "../src/bot/compose-flow.js";
import type { BotContext } from "../src/bot/context.js";
import {
  COMPOSE_PREFIX,
  decodeTuneButton,
  stepTemperature,
  type TuneSettings,
} from "../src/bot/custom-id.js";
import { UserFacingError } from "../src/bot/errors.js";
import { keySuggestions } from "../src/bot/keys.js";
import { submitForTraining } from "../src/bot/submit-flow.js";
import { formatTemperature } from "../src/bot/tune-reply.js";
import { type ComposeInput, LIMITS, validateRequest } from "../src/compose/request.js";
import { STYLE_NAMES, STYLES } from "../src/compose/styles.js";
import type { Tune } from "../src/music/tune.js";
import { ACCOMPANIMENT_NAMES, INSTRUMENT_NAMES } from "../src/render/instruments.js";

/** /compose: a new tune from the model, with buttons to vary it. */
export const data = new SlashCommandBuilder()
  .setName("compose")
  .setDescription("Compose a folk tune: MIDI, audio preview, score and ABC")
  .addNumberOption((o) =>
    o
      .setName("temperature")
      .setDescription("How adventurous: 0.1 plays it safe, 1.0 is the default, 3.0 is wild")
      .setMinValue(LIMITS.temperature.min)
      .setMaxValue(LIMITS.temperature.max),
  )
  .addStringOption((o) =>
    o
      .setName("style")
      .setDescription("Dance form (sets the meter and tempo); default reel")
      .addChoices(
        STYLE_NAMES.map((name) => ({ name: `${name} (${STYLES[name].description})`, value: name })),
      ),
  )
  .addStringOption((o) =>
    o
      .setName("key")
      .setDescription('Tonic and mode, e.g. "D", "E minor", "A dorian", "G mixolydian"; default D major')
      .setMaxLength(20)
      .setAutocomplete(true),
  )
  .addStringOption((o) =>
    o
      .setName("instrument")
      .setDescription("Sound of the MIDI file and the audio preview; default fiddle")
      .addChoices(INSTRUMENT_NAMES.map((name) => ({ name, value: name }))),
  )
  .addStringOption((o) =>
    o
      .setName("form")
      .setDescription(
        "Parts and repeats, e.g. AABB (two parts, each twice), AB, AABBCC, ABAC; default per style",
      )
      .setMaxLength(12),
  )
  .addIntegerOption((o) =>
    o
      .setName("bars")
      .setDescription("Bars written (split evenly among the parts; after the seed, if any); default 8 a part")
      .setMinValue(LIMITS.bars.min)
      .setMaxValue(LIMITS.bars.max),
  )
  .addIntegerOption((o) =>
    o
      .setName("tempo")
      .setDescription(
        "Beats per minute (a dotted quarter in a jig, a half note in a reel); default per style",
      )
      .setMinValue(LIMITS.tempo.min)
      .setMaxValue(LIMITS.tempo.max),
  )
  .addAttachmentOption((o) => o.setName("seed").setDescription(`A tune to continue: ${TUNE_FILE_KINDS}`))
  .addStringOption((o) =>
    o
      .setName("chords")
      .setDescription("Chord symbols and a backing in the MIDI and audio; default on")
      .addChoices({ name: "on", value: "on" }, { name: "off", value: "off" }),
  )
  .addStringOption((o) =>
    o
      .setName("accompaniment")
      .setDescription("What plays the chords; default guitar")
      .addChoices(ACCOMPANIMENT_NAMES.map((name) => ({ name, value: name }))),
  )
  .addBooleanOption((o) => o.setName("bodhran").setDescription("A bodhrán under the tune; default no"))
  .addBooleanOption((o) => o.setName("private").setDescription("Only you see the tune; default no"));

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const user = interaction.user.id;
  checkCooldown(bot, user);
  const o = interaction.options;
  const input: ComposeInput = {
    temperature: o.getNumber("temperature") ?? undefined,
    style: o.getString("style") ?? undefined,
    key: o.getString("key") ?? undefined,
    instrument: o.getString("instrument") ?? undefined,
    bars: o.getInteger("bars") ?? undefined,
    form: o.getString("form") ?? undefined,
    tempo: o.getInteger("tempo") ?? undefined,
    chords: o.getString("chords") ?? undefined,
    accompaniment: o.getString("accompaniment") ?? undefined,
    bodhran: o.getBoolean("bodhran") ?? undefined,
  };
  // Everything checkable without a download is refused before the deferral, at once.
  const settled = validateRequest(input, bot.settings.requestLimits);
  const seedUpload = o.getAttachment("seed");
  const limits = uploadLimits(bot, interaction);
  if (seedUpload) checkUpload(seedUpload, limits.maxBytes);

  await interaction.deferReply(o.getBoolean("private") ? { flags: MessageFlags.Ephemeral } : {});
  bot.cooldowns.start(user);
  try {
    let request = settled;
    let seedId: number | undefined;
    let seedNotes: readonly string[] = [];
    if (seedUpload) {
      const { tune, bytes, notes } = await fetchTune(seedUpload, limits);
      seedNotes = notes;
      request = validateRequest(
        { ...input, seedValue: settled.seedValue, seed: tune },
        bot.settings.requestLimits,
      );
      seedId = bot.store.saveSeed({ userId: user, fileName: seedUpload.name, bytes });
    }
    await composeIntoReply(bot, {
      interaction,
      request,
      seedNotes,
      ...(seedId !== undefined ? { seedId } : {}),
    });
  } catch (error) {
    bot.cooldowns.clear(user);
    throw error;
  }
}

export async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
  const typed = interaction.options.getFocused();
  await interaction.respond(keySuggestions(typed).map((k) => ({ name: k, value: k })));
}

/** Buttons under a composed tune: `c1:<action>:<settings>` (see src/bot/custom-id.ts). */
export const buttonPrefix = COMPOSE_PREFIX;

const OUTDATED =
  "This button is from an older version of the bot and no longer works. Run /compose for a new tune.";

export async function press(interaction: ButtonInteraction, bot: BotContext): Promise<void> {
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
  const user = interaction.user.id;
  checkCooldown(bot, user);
  // A private tune's variations stay private.
  const ephemeral = interaction.message.flags.has(MessageFlags.Ephemeral);
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  bot.cooldowns.start(user);
  try {
    let next: TuneSettings = settings;
    let content: string;
    let seedId = settings.seedId;
    let seedBytes: { name: string; bytes: Uint8Array } | undefined;
    switch (button.action) {
      case "again":
        next = { ...settings, seedValue: randomSeedValue() };
        content = `Another one (for ${interaction.user.displayName}):`;
        break;
      case "hot":
      case "cool": {
        const temperature = stepTemperature(settings.temperature, button.action === "hot" ? 1 : -1);
        next = { ...settings, temperature };
        content = `${button.action === "hot" ? "Hotter" : "Cooler"}: temperature ${formatTemperature(temperature)} (for ${interaction.user.displayName}):`;
        break;
      }
      case "more": {
        // The tune to continue is the ABC attached to the message: nothing to remember.
        const { bytes } = await tuneOfMessage(interaction, limits);
        seedBytes = { name: "tune.abc", bytes };
        seedId = bot.store.saveSeed({ userId: user, fileName: "tune.abc", bytes });
        next = { ...settings, seedValue: randomSeedValue() };
        content = `Continued (for ${interaction.user.displayName}):`;
        break;
      }
    }
    if (seedId !== undefined && !seedBytes) {
      const stored = bot.store.getSeed(seedId);
      if (!stored)
        throw new UserFacingError(
          "The seed of this tune is no longer stored. Use /compose with the seed file again.",
        );
      seedBytes = { name: stored.fileName, bytes: stored.bytes };
    }
    const seed = seedBytes ? readTune(seedBytes.name, seedBytes.bytes, limits).tune : undefined;
    const request = validateRequest(
      {
        temperature: next.temperature,
        style: next.style,
        key: next.key,
        instrument: next.instrument,
        // Continue adds one part, as long as the tune's parts.
        ...(button.action === "more" ? {} : { bars: next.bars }),
        ...(next.form !== undefined ? { form: next.form } : {}),
        tempo: next.tempo,
        seedValue: next.seedValue,
        ...(seed ? { seed } : {}),
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
      ...(seedId !== undefined ? { seedId } : {}),
    });
  } catch (error) {
    bot.cooldowns.clear(user);
    throw error;
  }
}

function randomSeedValue(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** The tune.abc attached to the message the button is on. */
async function tuneOfMessage(
  interaction: ButtonInteraction,
  limits: ReturnType<typeof uploadLimits>,
): Promise<{ tune: Tune; bytes: Uint8Array }> {
  const file = interaction.message.attachments.find((a) => a.name === "tune.abc");
  if (!file) throw new UserFacingError("This message has no tune.abc any more, so I can't use its tune.");
  const bytes = await download(file, limits);
  return { tune: readTune(file.name, bytes, limits).tune, bytes };
}
