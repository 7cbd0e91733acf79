import type { SlashCommandAttachmentOption, SlashCommandStringOption } from "discord.js";
import { ACCOMPANIMENT_NAMES, INSTRUMENT_NAMES } from "../render/instruments.js";
import { TUNE_FILE_KINDS } from "./attachments.js";

/**
 * Slash-command options more than one command offers, defined once so they read and
 * validate the same everywhere (`.addStringOption(accompanimentOption)`).
 */

/** The user's own tune, required (/submit, /harmonize). */
export const tuneFileOption = (o: SlashCommandAttachmentOption) =>
  o.setName("tune").setDescription(`${TUNE_FILE_KINDS}, one tune`).setRequired(true);

/** What plays the chords (/compose, /harmonize). */
export const accompanimentOption = (o: SlashCommandStringOption) =>
  o
    .setName("accompaniment")
    .setDescription("What plays the chords; default guitar")
    .addChoices(ACCOMPANIMENT_NAMES.map((name) => ({ name, value: name })));

/** What plays the melody; the description says where it is heard. */
export const instrumentOption = (description: string) => (o: SlashCommandStringOption) =>
  o
    .setName("instrument")
    .setDescription(description)
    .addChoices(INSTRUMENT_NAMES.map((name) => ({ name, value: name })));
