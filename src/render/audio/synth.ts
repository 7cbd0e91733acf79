import { BasicMIDI, InterpolationTypes, SpessaLog, SpessaSynthProcessor } from "spessasynth_core";
import { AudioPreviewError } from "./preview-error.js";
import { presetFor, previewSoundBank } from "./soundfont.js";

/**
 * Offline MIDI → PCM with spessasynth_core's SpessaSynthProcessor (no Web Audio needed).
 * We schedule the file's channel messages ourselves instead of using its sequencer: every
 * event lands on its exact sample, and nothing plays beyond the length we ask for.
 */

export interface SynthOptions {
  readonly sampleRate: number;
  /** Hard cap on the rendered length, seconds. */
  readonly maxSeconds: number;
  /** Extra time after the last MIDI event, for releases and reverb to ring out. */
  readonly ringSeconds: number;
}

export interface SynthResult {
  /** Mono samples (mid of the stereo output). */
  readonly pcm: Float32Array;
  /** Time of the MIDI file's last voice event, seconds. */
  readonly midiSeconds: number;
  /** True when the MIDI file (plus ring-out) was longer than `maxSeconds`. */
  readonly truncated: boolean;
  /** The SoundFont preset each channel that played notes ended on, by 0-based channel. */
  readonly presets: ReadonlyMap<number, string>;
}

/**
 * Samples per process() call. spessasynth updates LFOs and envelopes once per call, so
 * larger blocks would step the vibrato audibly; events split blocks anyway.
 */
const BLOCK = 128;
const DRUM_CHANNEL = 9;
const VOICE_CAP = 24;
/** Linear interpolation: at a 24 kHz preview, hermite costs time and is not heard. */
const INTERPOLATION = InterpolationTypes.linear;

interface ScheduledMessage {
  readonly at: number;
  readonly message: number[];
}

export function parseMidi(bytes: Uint8Array): BasicMIDI {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== "MThd") {
    throw new AudioPreviewError("not-midi", "audio preview needs a standard MIDI file (no MThd header)");
  }
  try {
    return BasicMIDI.fromArrayBuffer(new Uint8Array(bytes).buffer);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new AudioPreviewError("bad-midi", `MIDI file could not be read: ${reason}`);
  }
}

export function synthesizeMidi(midi: BasicMIDI, options: SynthOptions): SynthResult {
  const { sampleRate } = options;
  const midiSeconds = midi.duration;
  const wanted = midiSeconds + options.ringSeconds;
  const seconds = Math.min(wanted, options.maxSeconds);
  const total = Math.max(1, Math.round(seconds * sampleRate));

  const schedule = channelMessages(midi, sampleRate, total);
  const melodic = (m: number[]) =>
    (m[0] as number) >> 4 === 0x9 && ((m[0] as number) & 0x0f) !== DRUM_CHANNEL;
  if (!schedule.some(({ message }) => melodic(message) && (message[2] as number) > 0)) {
    throw new AudioPreviewError(
      "no-notes",
      "MIDI file has no notes to play (a drum part alone is not a tune)",
    );
  }

  const synth = quietly(
    () =>
      new SpessaSynthProcessor(sampleRate, {
        maxBufferSize: BLOCK,
        // Its reverb and chorus would more than double the synthesis time.
        effectsEnabled: false,
        eventsEnabled: false,
      }),
  );
  // The processor walks its whole voice table every block: 350 slots by default, while a
  // melody with ringing releases needs a handful.
  synth.setSystemParameter("voiceCap", VOICE_CAP);
  synth.setSystemParameter("interpolationType", INTERPOLATION);
  synth.soundBankManager.addSoundBank(previewSoundBank(), "gm");
  // Should a program ever be missing, the piano plays it.
  const fallback = presetFor(0);
  if (fallback) synth.onMissingPreset = () => fallback;

  const left = new Float32Array(total);
  const right = new Float32Array(total);
  let rendered = 0;
  const renderTo = (end: number): void => {
    while (rendered < end) {
      const count = Math.min(BLOCK, end - rendered);
      synth.process(left, right, rendered, count);
      rendered += count;
    }
  };
  const presets = new Map<number, string>();
  for (const { at, message } of schedule) {
    renderTo(at);
    synth.processMessage(message);
    const status = message[0] as number;
    if (status >> 4 === 0x9) {
      const channel = status & 0x0f;
      presets.set(channel, synth.midiChannels[channel]?.preset?.name ?? "none");
    }
  }
  renderTo(total);
  // No destroySynthProcessor(): it would also empty the shared sound bank.

  // Mono mix in place: the centred melody is the same on both sides.
  for (let i = 0; i < total; i++) left[i] = 0.5 * ((left[i] as number) + (right[i] as number));
  return { pcm: left, midiSeconds, truncated: wanted > options.maxSeconds, presets };
}

/**
 * The processor sets up its 16 channels before a sound bank can be added, and warns on the
 * console for each that it found no preset. Expected here, so silenced (synchronously).
 */
function quietly<T>(make: () => T): T {
  const warn = SpessaLog.warnEnabled;
  SpessaLog.warnEnabled = false;
  try {
    return make();
  } finally {
    SpessaLog.warnEnabled = warn;
  }
}

/** Channel voice messages (the drum channel plays the SoundFont's standard kit) in play order, before `total`. */
function channelMessages(midi: BasicMIDI, sampleRate: number, total: number): ScheduledMessage[] {
  const out: ScheduledMessage[] = [];
  for (const { tr, ev } of midi.timeline) {
    const event = midi.tracks[tr]?.events[ev];
    if (!event) continue;
    const status = event.statusByte;
    // Meta events carry their type (< 0x80) as statusByte; 0xF0.. are system messages.
    if (status < 0x80 || status >= 0xf0) continue;
    const at = Math.round(midi.midiTicksToSeconds(event.ticks) * sampleRate);
    if (at >= total) break;
    out.push({ at, message: [status, ...event.data] });
  }
  return out;
}
