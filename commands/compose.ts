import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  SlashCommandBuilder,
} from "discord.js";
import { TUNE_FILE_KINDS } from "../src/bot/attachments.js";
import { accompanimentOption, instrumentOption } from "../src/bot/command-options.js";
import { composeFromCommand } from "../src/bot/compose-flow.js";
import type { BotContext } from "../src/bot/context.js";
import { COMPOSE_PREFIX } from "../src/bot/custom-id.js";
import { keySuggestions } from "../src/bot/keys.js";
import { pressTuneButton } from "../src/bot/tune-buttons.js";
import { type ComposeInput, LIMITS } from "../src/compose/request.js";
import { STYLE_NAMES, STYLES } from "../src/compose/styles.js";

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
  .addStringOption(instrumentOption("Sound of the MIDI file and the audio preview; default fiddle"))
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
  .addStringOption(accompanimentOption)
  .addBooleanOption((o) => o.setName("bodhran").setDescription("A bodhrán under the tune; default no"))
  .addBooleanOption((o) => o.setName("private").setDescription("Only you see the tune; default no"));

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
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
  await composeFromCommand(
    bot,
    interaction,
    input,
    o.getAttachment("seed"),
    o.getBoolean("private") ?? false,
  );
}

export async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
  const typed = interaction.options.getFocused();
  await interaction.respond(keySuggestions(typed).map((k) => ({ name: k, value: k })));
}

/** Buttons under a composed tune: `c1:<action>:<settings>` (see src/bot/custom-id.ts and tune-buttons.ts). */
export const buttonPrefix = COMPOSE_PREFIX;
export const press = pressTuneButton;
