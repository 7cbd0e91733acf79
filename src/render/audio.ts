import { fadeOut, normaliseLoudness } from "./audio/loudness.js";
import { muxOggOpus } from "./audio/ogg.js";
import { encodeOpus } from "./audio/opus.js";
import { AudioPreviewError } from "./audio/preview-error.js";
import { soundFontReady } from "./audio/soundfont.js";
import { parseMidi, synthesizeMidi } from "./audio/synth.js";

/**
 * The audio preview Discord plays inline: the tune's MIDI bytes (the very file the user
 * gets) synthesised with a General MIDI SoundFont, normalised in loudness, and encoded
 * as mono Ogg/Opus. Pure: bytes in, bytes out, no I/O.
 */

export { decodeOggOpus, type OggOpusFile, readOggOpus } from "./audio/ogg.js";
export { AudioPreviewError, type AudioPreviewErrorCode } from "./audio/preview-error.js";

export interface AudioPreviewOptions {
  /** Longest preview in seconds, ring-out included (default 90); longer tunes fade out there. */
  readonly maxSeconds?: number;
}

export interface AudioPreview {
  readonly ogg: Uint8Array;
  /** Length of the audio, seconds. */
  readonly seconds: number;
  /** Rate the audio was synthesised and encoded at, Hz. */
  readonly sampleRate: number;
  /** Time of the MIDI file's last event, seconds. */
  readonly midiSeconds: number;
  /** True when the tune was cut at `maxSeconds`. */
  readonly truncated: boolean;
  /** Gain applied to reach the target loudness, dB. */
  readonly gainDb: number;
  /** The SoundFont preset that played each MIDI channel (0-based) that has notes. */
  readonly presets: ReadonlyMap<number, string>;
  /** Wall-clock time of the two stages, milliseconds. */
  readonly timings: { readonly synthMs: number; readonly encodeMs: number };
}

/** Synthesis and Opus input rate: Opus-native, and plenty for a melody (10.5 kHz of partials). */
export const PREVIEW_SAMPLE_RATE = 24_000;
/** Time after the last note-off for releases to ring. */
export const RING_OUT_SECONDS = 1;
export const DEFAULT_MAX_SECONDS = 90;
/** Upper bound for `maxSeconds`: ten minutes of audio is ~60 MB of intermediate samples. */
export const LIMIT_MAX_SECONDS = 600;
/** ~40 kbit/s VBR mono: transparent enough for a preview, ~300 KB a minute. */
const BITRATE = 40_000;
/**
 * libopus complexity 1 encodes about a fifth faster than 3 (and 3 twice as fast as 5): with
 * the backing to synthesise too, the preview needs the time more than the last bit of polish.
 */
const COMPLEXITY = 1;
const END_FADE_SECONDS = 0.3;
/** A tune cut short by the cap fades over longer, so the cut sounds intended. */
const CUT_FADE_SECONDS = 2;

/**
 * Loads the SoundFont and runs one short render of every instrument a tune can use, so that
 * the first real preview does not pay for reading the SoundFont (~0.15 s), decoding its
 * samples, WebAssembly compilation and JIT warm-up. Call at start-up.
 */
export async function prepareAudioPreview(programs: readonly number[] = []): Promise<void> {
  await soundFontReady();
  renderAudioPreviewSync(warmUpMidi(programs));
}

export async function renderAudioPreview(
  midi: Uint8Array,
  options: AudioPreviewOptions = {},
): Promise<AudioPreview> {
  await soundFontReady();
  return renderAudioPreviewSync(midi, options);
}

/**
 * The same work without the promise wrapper: CPU-bound and synchronous, once the SoundFont's
 * sample decoder is ready (after any renderAudioPreview or prepareAudioPreview).
 */
function renderAudioPreviewSync(midi: Uint8Array, options: AudioPreviewOptions = {}): AudioPreview {
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  if (!(maxSeconds > 0 && maxSeconds <= LIMIT_MAX_SECONDS)) {
    throw new AudioPreviewError(
      "bad-option",
      `maxSeconds must be in (0, ${LIMIT_MAX_SECONDS}], got ${maxSeconds}`,
    );
  }
  const start = performance.now();
  const parsed = parseMidi(midi);
  const { pcm, midiSeconds, truncated, presets } = synthesizeMidi(parsed, {
    sampleRate: PREVIEW_SAMPLE_RATE,
    maxSeconds,
    ringSeconds: RING_OUT_SECONDS,
  });
  const seconds = pcm.length / PREVIEW_SAMPLE_RATE;
  fadeOut(pcm, PREVIEW_SAMPLE_RATE, truncated ? Math.min(CUT_FADE_SECONDS, seconds / 4) : END_FADE_SECONDS);
  const gainDb = normaliseLoudness(pcm, PREVIEW_SAMPLE_RATE);
  const synthesized = performance.now();

  const opus = encodeOpus(pcm, PREVIEW_SAMPLE_RATE, { bitrate: BITRATE, complexity: COMPLEXITY });
  const title = parsed.getName();
  const ogg = muxOggOpus(opus, { inputSampleRate: PREVIEW_SAMPLE_RATE, tags: title ? { TITLE: title } : {} });
  const encoded = performance.now();
  return {
    ogg,
    seconds,
    sampleRate: PREVIEW_SAMPLE_RATE,
    midiSeconds,
    truncated,
    gainDb,
    presets,
    timings: { synthMs: synthesized - start, encodeMs: encoded - synthesized },
  };
}

/**
 * Format 0, PPQ 96, 120 bpm: for each program, on a channel of its own, the whole range a
 * tune or its backing uses in fifths (E2..C7, quick notes), and the bodhrán's drums, so
 * their samples are decoded now.
 */
function warmUpMidi(programs: readonly number[]): Uint8Array {
  const events: number[] = [];
  const used = programs.length > 0 ? programs.slice(0, 15) : [40];
  used.forEach((program, i) => {
    const channel = i >= 9 ? i + 1 : i; // never the drum channel
    events.push(0x00, 0xc0 | channel, program);
    for (let key = 40; key <= 96; key += 7)
      events.push(0x00, 0x90 | channel, key, 90, 0x06, 0x80 | channel, key, 0);
  });
  for (const key of [41, 45]) events.push(0x00, 0x99, key, 90, 0x06, 0x89, key, 0);
  events.push(0x00, 0xff, 0x2f, 0x00);
  const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96];
  const length = [24, 16, 8, 0].map((shift) => (events.length >> shift) & 0xff);
  const track = [0x4d, 0x54, 0x72, 0x6b, ...length];
  return Uint8Array.from([...header, ...track, ...events]);
}
