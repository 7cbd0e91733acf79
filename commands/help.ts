import {
  type APIApplicationCommandOption,
  ApplicationCommandOptionType,
  type ChatInputCommandInteraction,
  EmbedBuilder,
  MessageFlags,
  SlashCommandBuilder,
} from "discord.js";
import type { BotContext } from "../src/bot/context.js";

/** /help: what the bot does; the option list is read from the registered definitions, so it cannot drift. */
export const data = new SlashCommandBuilder()
  .setName("help")
  .setDescription("What Tunesmith does and how to use its commands");

const TYPE_NAMES: Partial<Record<ApplicationCommandOptionType, string>> = {
  [ApplicationCommandOptionType.String]: "text",
  [ApplicationCommandOptionType.Integer]: "whole number",
  [ApplicationCommandOptionType.Number]: "number",
  [ApplicationCommandOptionType.Boolean]: "yes/no",
  [ApplicationCommandOptionType.Attachment]: "file",
};

export function describeOption(option: APIApplicationCommandOption): string {
  const parts = [TYPE_NAMES[option.type] ?? "value"];
  const o = option as { min_value?: number; max_value?: number; choices?: { value: string | number }[] };
  if (o.min_value !== undefined && o.max_value !== undefined) parts.push(`${o.min_value}–${o.max_value}`);
  if (o.choices?.length) parts.push(o.choices.map((c) => c.value).join(", "));
  const required = option.required ? " **(required)**" : "";
  return `\`${option.name}\`${required} (${parts.join("; ")}): ${option.description}`;
}

const EXAMPLES: Record<string, string> = {
  compose:
    "`/compose style:jig key:A dorian temperature:1.2 form:AABB bars:16 instrument:whistle` (two 8-bar parts, each played twice)",
  submit: "`/submit tune:my-reel.abc title:The Kitchen Reel`",
  harmonize: "`/harmonize tune:my-reel.abc accompaniment:piano`",
};

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const embed = new EmbedBuilder()
    .setTitle("Tunesmith")
    .setColor(0x2e7d32)
    .setDescription(
      [
        "I compose folk tunes with a small neural network (an LSTM trained on traditional tunes).",
        "Each tune comes as **MIDI**, an **audio preview**, a **score** and **ABC** notation.",
        "Tunes have the form of real ones: parts (A, B…) of 8 bars, each played twice, that come back to their phrases; " +
          "`bars` counts the bars written, split evenly among the parts.",
        "Under a tune: **Another one** (same settings and form, new tune), **Continue** (adds a part), " +
          "**Hotter**/**Cooler** (temperature ±0.3: more surprising or more conventional), " +
          "**Submit for training** (offers it to the next training run).",
        `Model: ${bot.jobs.model.name} (${bot.jobs.model.version}).`,
      ].join("\n"),
    );
  for (const command of bot.commands.values()) {
    const json = command.data.toJSON();
    const options = (json.options ?? []).map((o) => `• ${describeOption(o)}`);
    const example = EXAMPLES[json.name] ? `Example: ${EXAMPLES[json.name]}` : "";
    chunk([json.description, ...options, ...(example ? [example.trim()] : [])]).forEach((value, i) => {
      embed.addFields({ name: i === 0 ? `/${json.name}` : "\u200b", value });
    });
  }
  await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
}

/** Lines packed into embed field values of at most 1024 characters. */
function chunk(lines: readonly string[], limit = 1024): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= limit)
      out[out.length - 1] = `${last}\n${line}`;
    else out.push(line.slice(0, limit));
  }
  return out;
}
