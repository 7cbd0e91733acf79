import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type InteractionEditReplyOptions,
} from "discord.js";
import type { ComposeResult } from "../compose/composer.js";
import { describeForm } from "../compose/form-spec.js";
import { chordChart } from "../music/harmony/chart.js";
import { abcKeyName, tonicName } from "../music/key.js";
import { meterName, type Tune } from "../music/tune.js";
import { DEFAULT_ACCOMPANIMENT } from "../render/instruments.js";
import { encodeTuneButton, stepTemperature, type TuneSettings } from "./custom-id.js";
import { userText } from "./sanitize.js";

/**
 * The message a composed tune arrives in: an embed describing it (score as its image),
 * the four files, and the buttons that compose from it. Pure: the caller sends it.
 */
export interface NamedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The files of a tune in the order users expect them; the preview and score are optional renderings. */
export function tuneFiles(result: Pick<ComposeResult, "renderings">): NamedFile[] {
  const r = result.renderings;
  return [
    { name: "tune.mid", bytes: r.midi },
    ...(r.ogg ? [{ name: "tune.ogg", bytes: r.ogg }] : []),
    ...(r.png ? [{ name: "score.png", bytes: r.png }] : []),
    { name: "tune.abc", bytes: new TextEncoder().encode(r.abc) },
  ];
}

/** Dropped first when the files exceed Discord's limit: the largest and least essential. */
const DROP_ORDER = ["tune.ogg", "score.png"];

/**
 * The files that fit under `limit` bytes each and in total (Discord refuses the whole
 * message otherwise), dropping the audio preview, then the score. MIDI and ABC always stay:
 * they are the tune.
 */
export function fitFiles(
  files: readonly NamedFile[],
  limit: number,
): { kept: NamedFile[]; dropped: string[] } {
  let kept = [...files];
  const dropped: string[] = [];
  const total = () => kept.reduce((sum, f) => sum + f.bytes.length, 0);
  for (const name of DROP_ORDER) {
    const tooBig = kept.some((f) => f.bytes.length > limit) || total() > limit;
    if (!tooBig) break;
    if (kept.some((f) => f.name === name)) {
      kept = kept.filter((f) => f.name !== name);
      dropped.push(name);
    }
  }
  return { kept, dropped };
}

export function formatTemperature(t: number): string {
  return String(Math.round(t * 100) / 100);
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface TuneReplyOptions {
  /** Largest upload Discord accepts for this interaction. */
  readonly attachmentLimit: number;
  /** The seed's id in the store, when the tune was composed from one. */
  readonly seedId?: number;
  /** Said above the embed, e.g. "Hotter (1.5)". */
  readonly content?: string;
  /** What reading the seed left out (other voices, chords…), listed with the tune's notes. */
  readonly seedNotes?: readonly string[];
}

/** Settings that reproduce `result`'s request, for the buttons. */
export function settingsOf(result: Pick<ComposeResult, "request" | "tune">, seedId?: number): TuneSettings {
  const r = result.request;
  return {
    temperature: r.temperature,
    style: r.style,
    key: abcKeyName(r.key),
    instrument: r.instrument,
    bars: r.bars,
    tempo: r.tempo,
    seedValue: r.seedValue,
    form: r.form.name,
    ...(seedId !== undefined ? { seedId } : {}),
    ...(r.chords ? {} : { chords: false }),
    ...(r.accompaniment !== DEFAULT_ACCOMPANIMENT ? { accompaniment: r.accompaniment } : {}),
    ...(r.bodhran ? { bodhran: true } : {}),
  };
}

export function tuneEmbed(
  result: ComposeResult,
  dropped: readonly string[] = [],
  seedNotes: readonly string[] = [],
): EmbedBuilder {
  const { request, tune, model, timings } = result;
  const seeded = request.seed !== undefined;
  const key = `${tonicName(tune.key.tonic)} ${tune.key.mode}`;
  const notes = [...seedNotes.map((n) => `seed: ${n}`), ...result.notes];
  if (dropped.length > 0)
    notes.push(`${dropped.join(" and ")} left out: the files were over Discord's upload limit`);
  const embed = new EmbedBuilder()
    .setTitle(userText(tune.title, 100) || "Untitled")
    .setColor(0x2e7d32)
    .addFields(
      { name: "Style", value: seeded ? "from your seed" : request.style, inline: true },
      { name: "Key", value: key, inline: true },
      { name: "Meter", value: meterName(tune.meter), inline: true },
      { name: "Bars", value: seeded ? `${request.bars} after the seed` : String(request.bars), inline: true },
      ...(seeded
        ? []
        : [{ name: "Form", value: describeForm(request.form, request.partBars), inline: true }]),
      { name: "Tempo", value: `${request.tempo} bpm`, inline: true },
      { name: "Temperature", value: formatTemperature(request.temperature), inline: true },
      {
        name: "Instrument",
        value:
          (request.chords ? `${request.instrument}, ${request.accompaniment} backing` : request.instrument) +
          (request.bodhran ? ", bodhrán" : ""),
        inline: true,
      },
      { name: "Model", value: `${model.name}, version ${model.version}`, inline: true },
      { name: "Took", value: formatSeconds(timings.totalMs), inline: true },
    )
    .setFooter({ text: `seed value ${request.seedValue} · ${model.backend}` });
  const chords = chordsField(tune);
  if (chords) embed.addFields(chords);
  // Notes may quote the uploaded seed (a voice's name): every one is shown as user text.
  if (notes.length > 0) embed.setDescription(notes.map((n) => `• ${userText(n, 300)}`).join("\n"));
  if (result.renderings.png && !dropped.includes("score.png")) embed.setImage("attachment://score.png");
  return embed;
}

/**
 * The chords part by part (A, B, …), so a guitarist can play along without the score; a
 * long tune's chart is cut to Discord's 1024 characters per field.
 */
export function chordsField(tune: Tune): { name: string; value: string } | undefined {
  const parts = chordChart(tune);
  if (parts.length === 0) return undefined;
  const lines = parts.map((p, i) => `${String.fromCharCode(65 + (i % 26))}: ${p}`);
  let text = lines.join("\n");
  if (text.length > 1000) text = `${text.slice(0, 990)}…`;
  return { name: "Chords", value: `\`\`\`\n${text}\n\`\`\`` };
}

export function tuneButtons(settings: TuneSettings): ActionRowBuilder<ButtonBuilder> {
  const hotter = stepTemperature(settings.temperature, 1);
  const cooler = stepTemperature(settings.temperature, -1);
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(encodeTuneButton({ action: "again", settings }))
      .setLabel("Another one")
      .setStyle(ButtonStyle.Primary),
    new ButtonBuilder()
      .setCustomId(encodeTuneButton({ action: "more", settings }))
      .setLabel("Continue")
      .setStyle(ButtonStyle.Secondary),
    new ButtonBuilder()
      .setCustomId(encodeTuneButton({ action: "hot", settings }))
      .setLabel(`Hotter (${formatTemperature(hotter)})`)
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(hotter === settings.temperature),
    new ButtonBuilder()
      .setCustomId(encodeTuneButton({ action: "cool", settings }))
      .setLabel(`Cooler (${formatTemperature(cooler)})`)
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(cooler === settings.temperature),
    new ButtonBuilder()
      .setCustomId(encodeTuneButton({ action: "submit" }))
      .setLabel("Submit for training")
      .setStyle(ButtonStyle.Success),
  );
}

/** The edit that delivers a composed tune. */
export function tuneReply(result: ComposeResult, options: TuneReplyOptions): InteractionEditReplyOptions {
  const { kept, dropped } = fitFiles(tuneFiles(result), options.attachmentLimit);
  return {
    content: options.content ?? "",
    embeds: [tuneEmbed(result, dropped, options.seedNotes)],
    files: kept.map((f) => new AttachmentBuilder(Buffer.from(f.bytes), { name: f.name })),
    components: [tuneButtons(settingsOf(result, options.seedId))],
  };
}
