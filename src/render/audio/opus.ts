import OpusScript from "opusscript";

/**
 * The one adapter around opusscript (libopus 1.4 compiled to WebAssembly, no native
 * build). Mono only: a melody preview gains nothing from stereo, and mono halves the bits.
 */

export type OpusInputRate = 8000 | 12000 | 16000 | 24000 | 48000;

/** Ogg Opus counts every position (granules, pre-skip) at 48 kHz, whatever the input rate. */
export const OPUS_GRANULE_RATE = 48_000;

export interface OpusEncodeOptions {
  /** Target bitrate, bits per second (VBR). */
  readonly bitrate: number;
  /** libopus complexity 0..10 (speed against quality). */
  readonly complexity: number;
}

export interface EncodedOpus {
  readonly packets: readonly Uint8Array[];
  /** Input samples per packet. */
  readonly frameSize: number;
  /** Encoder delay to drop at the start of decoding, in 48 kHz samples (OpusHead pre-skip). */
  readonly preSkip: number;
  /** Number of real (not padding) samples, in 48 kHz samples. */
  readonly samples48k: number;
}

const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_MUSIC = 3002;
const FRAME_SECONDS = 0.02;

/**
 * libopus's look-ahead for the AUDIO application: 2.5 ms of analysis plus 4 ms of delay
 * compensation (opus_encoder.c: Fs/400 + Fs/250), i.e. 312 samples at 48 kHz. opusscript
 * cannot query OPUS_GET_LOOKAHEAD (it has no out-pointer CTLs); the ogg tests check it.
 */
export function encoderDelay48k(): number {
  return OPUS_GRANULE_RATE / 400 + OPUS_GRANULE_RATE / 250;
}

export function encodeOpus(
  pcm: Float32Array,
  sampleRate: OpusInputRate,
  options: OpusEncodeOptions,
): EncodedOpus {
  const frameSize = Math.round(sampleRate * FRAME_SECONDS);
  const toInput = sampleRate / OPUS_GRANULE_RATE;
  const delay = encoderDelay48k() * toInput;
  const encoder = new OpusScript(sampleRate, 1, OpusScript.Application.AUDIO);
  try {
    encoder.setBitrate(options.bitrate);
    encoder.encoderCTL(OPUS_SET_COMPLEXITY, options.complexity);
    encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);
    // Feed the encoder's delay worth of extra silence so the last real samples come out too.
    const frames = Math.ceil((pcm.length + delay) / frameSize);
    const frame = new Int16Array(frameSize);
    const frameBytes = Buffer.from(frame.buffer);
    const packets: Uint8Array[] = [];
    for (let f = 0; f < frames; f++) {
      const offset = f * frameSize;
      const available = Math.max(0, Math.min(frameSize, pcm.length - offset));
      for (let i = 0; i < available; i++) {
        const x = (pcm[offset + i] as number) * 32767;
        // The Int16Array store truncates; clamp first so a stray overshoot cannot wrap around.
        frame[i] = x > 32767 ? 32767 : x < -32768 ? -32768 : x + (x < 0 ? -0.5 : 0.5);
      }
      frame.fill(0, available);
      packets.push(new Uint8Array(encoder.encode(frameBytes, frameSize)));
    }
    return {
      packets,
      frameSize,
      preSkip: encoderDelay48k(),
      samples48k: Math.round(pcm.length / toInput),
    };
  } finally {
    encoder.delete();
  }
}

/** Decodes packets to mono PCM in [-1, 1] at `sampleRate`, encoder delay included. */
export function decodeOpus(packets: readonly Uint8Array[], sampleRate: OpusInputRate): Float32Array {
  const decoder = new OpusScript(sampleRate, 1, OpusScript.Application.AUDIO);
  try {
    const chunks: Int16Array[] = [];
    for (const packet of packets) {
      const bytes = decoder.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
      chunks.push(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
    const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) out[at + i] = (chunk[i] as number) / 32768;
      at += chunk.length;
    }
    return out;
  } finally {
    decoder.delete();
  }
}
