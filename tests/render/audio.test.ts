import { readFileSync } from "node:fs";
import toneMidi from "@tonejs/midi";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAbcFile } from "../../src/music/abc-read.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { MusicError } from "../../src/music/music-errors.js";
import type { Tune } from "../../src/music/tune.js";
import { loudnessDb, PEAK_CEILING, TARGET_LOUDNESS_DB } from "../../src/render/audio/loudness.js";
import { muxOggOpus, oggCrc32 } from "../../src/render/audio/ogg.js";
import { encodeOpus } from "../../src/render/audio/opus.js";
import { presetFor } from "../../src/render/audio/soundfont.js";
import {
  AudioPreviewError,
  decodeOggOpus,
  PREVIEW_SAMPLE_RATE,
  prepareAudioPreview,
  RING_OUT_SECONDS,
  readOggOpus,
  renderAudioPreview,
} from "../../src/render/audio.js";
import {
  ACCOMPANIMENTS,
  allPrograms,
  INSTRUMENT_NAMES,
  INSTRUMENTS,
  type InstrumentName,
} from "../../src/render/instruments.js";
import { asBufferView } from "../helpers/buffer-view.js";

const { Midi } = toneMidi;
const RATE = PREVIEW_SAMPLE_RATE;

const fixtures = parseAbcFile(readFileSync(new URL("../fixtures/tunes.abc", import.meta.url), "utf8")).map(
  (parsed) => {
    if (!parsed.result.ok) throw parsed.result.error;
    return parsed.result.tune;
  },
);
const jig = fixtures[0] as Tune;
const reel = fixtures[1] as Tune;

interface Note {
  readonly key: number;
  readonly time: number;
  readonly duration: number;
  readonly velocity?: number;
}

/** A MIDI file written by @tonejs/midi (not by our writer): one track on channel 0. */
function midiOf(program: number, notes: readonly Note[]): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(120);
  const track = midi.addTrack();
  track.channel = 0;
  track.instrument.number = program;
  for (const n of notes)
    track.addNote({ midi: n.key, time: n.time, duration: n.duration, velocity: n.velocity ?? 0.8 });
  return midi.toArray();
}

/** The same MIDI with every velocity multiplied by `factor`. */
function scaleVelocities(bytes: Uint8Array, factor: number): Uint8Array {
  const midi = new Midi(bytes);
  for (const track of midi.tracks)
    for (const note of track.notes) note.velocity = Math.min(1, note.velocity * factor);
  return midi.toArray();
}

function hz(key: number): number {
  return 440 * 2 ** ((key - 69) / 12);
}

/** Hann-windowed power spectrum of `n` (a power of two) samples from `from`. */
function powerSpectrum(x: Float32Array, from: number, n: number): Float64Array {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = (x[from + i] ?? 0) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = (re[b] as number) * wr - (im[b] as number) * wi;
        const ti = (re[b] as number) * wi + (im[b] as number) * wr;
        re[b] = (re[a] as number) - tr;
        im[b] = (im[a] as number) - ti;
        re[a] = (re[a] as number) + tr;
        im[a] = (im[a] as number) + ti;
      }
    }
  }
  const power = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) power[i] = (re[i] as number) ** 2 + (im[i] as number) ** 2;
  return power;
}

interface Analysis {
  /** Energy within ±f0/3 of harmonics 1..10, in dB relative to the fundamental. */
  readonly harmonicsDb: number[];
  /** Energy of harmonics 2–5 relative to the fundamental, dB. */
  readonly upperDb: number;
  readonly centroidHz: number;
  /** Frequency of the strongest spectral peak, Hz (interpolated between bins). */
  readonly peakHz: number;
}

function analyse(pcm: Float32Array, f0: number, fromSeconds = 0.25): Analysis {
  const n = 8192;
  const power = powerSpectrum(pcm, Math.round(fromSeconds * RATE), n);
  const bin = RATE / n;
  const band = (centre: number) => {
    let sum = 0;
    for (let k = Math.floor((centre - f0 / 3) / bin); k <= Math.ceil((centre + f0 / 3) / bin); k++)
      sum += power[k] ?? 0;
    return sum;
  };
  const harmonics = Array.from({ length: 10 }, (_, i) => band((i + 1) * f0));
  const h1 = harmonics[0] as number;
  let weighted = 0;
  let total = 0;
  let peakBin = 0;
  power.forEach((p, k) => {
    weighted += k * bin * p;
    total += p;
    if (p > (power[peakBin] as number)) peakBin = k;
  });
  const upper = harmonics.slice(1, 5).reduce((a, b) => a + b, 0);
  return {
    harmonicsDb: harmonics.map((h) => 10 * Math.log10(h / h1)),
    upperDb: 10 * Math.log10(upper / h1),
    centroidHz: weighted / total,
    peakHz: (peakBin + parabolicOffset(power, peakBin)) * bin,
  };
}

/** Where between bins a peak really is: the vertex of a parabola through log powers. */
function parabolicOffset(power: Float64Array, k: number): number {
  const [a, b, c] = [power[k - 1], power[k], power[k + 1]].map((p) => Math.log((p ?? 0) + 1e-30)) as [
    number,
    number,
    number,
  ];
  const curvature = a - 2 * b + c;
  return curvature < 0 ? (0.5 * (a - c)) / curvature : 0;
}

function rms(pcm: Float32Array, fromSeconds: number, toSeconds: number): number {
  const from = Math.round(fromSeconds * RATE);
  const to = Math.min(pcm.length, Math.round(toSeconds * RATE));
  let sum = 0;
  for (let i = from; i < to; i++) sum += (pcm[i] as number) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

function peakOf(pcm: Float32Array): number {
  return pcm.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

const db = (ratio: number) => 20 * Math.log10(ratio);

beforeAll(async () => {
  // Loads the SoundFont and warms the JIT/WebAssembly once, as the bot does at start-up.
  await prepareAudioPreview();
});

describe("renderAudioPreview: the Ogg/Opus container", () => {
  let reelMidi: Uint8Array;
  let preview: Awaited<ReturnType<typeof renderAudioPreview>>;
  beforeAll(async () => {
    reelMidi = tuneToMidi(reel, { program: INSTRUMENTS.fiddle.program, bpm: 180 });
    preview = await renderAudioPreview(reelMidi);
  });

  it("writes CRC-correct pages: OpusHead alone on a BOS page, OpusTags, audio, one EOS page at the end", () => {
    const file = readOggOpus(preview.ogg); // throws on a bad capture pattern or CRC
    expect(readOggOpus(asBufferView(preview.ogg)).seconds).toBe(file.seconds);
    const { pages } = file;
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(new Set(pages.map((p) => p.serial)).size).toBe(1);
    expect(pages[0]?.flags).toBe(0x02);
    expect(pages.slice(1, -1).every((p) => p.flags === 0)).toBe(true);
    expect(pages.at(-1)?.flags).toBe(0x04);
    // Header pages have granule 0; audio granules never go down.
    expect(pages[0]?.granule).toBe(0n);
    expect(pages[1]?.granule).toBe(0n);
    const granules = pages.slice(2).map((p) => p.granule);
    expect(granules).toEqual([...granules].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // The first page holds exactly the 19-byte OpusHead: 27-byte header + 1 lacing value.
    expect(pages[0]?.length).toBe(27 + 1 + 19);
    expect(file.head).toEqual({
      version: 1,
      channels: 1,
      preSkip: 312,
      inputSampleRate: RATE,
      outputGain: 0,
    });
    expect(file.vendor).toMatch(/libopus/);
    expect(file.tags).toEqual([`TITLE=${reel.title}`]);
    // Our own CRC agrees with the textbook check value for Ogg's CRC-32 (poly 0x04C11DB7, MSB first).
    expect(oggCrc32(new TextEncoder().encode("123456789"))).toBe(0x89a1897f);
  });

  it("refuses a file with one flipped byte (the CRC is checked)", () => {
    const corrupt = preview.ogg.slice();
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] as number) ^ 0x10;
    expect(() => readOggOpus(corrupt)).toThrow(/CRC/);
  });

  it("lasts as long as the MIDI file plus the ring-out, by the granule positions and by decoding", () => {
    const midiSeconds = new Midi(reelMidi).duration; // an independent reader's idea of the length
    expect(midiSeconds).toBeGreaterThan(15);
    expect(preview.midiSeconds).toBeCloseTo(midiSeconds, 2);
    const file = readOggOpus(preview.ogg);
    expect(Math.abs(file.seconds - (midiSeconds + RING_OUT_SECONDS))).toBeLessThan(0.3);
    expect(file.seconds).toBeCloseTo(preview.seconds, 3);
    const pcm = decodeOggOpus(preview.ogg);
    expect(pcm.length).toBe(Math.round(preview.seconds * RATE));
    // The last note sounds right up to its end, then the file fades to silence.
    expect(rms(pcm, midiSeconds - 0.3, midiSeconds - 0.05)).toBeGreaterThan(0.02);
    expect(rms(pcm, file.seconds - 0.05, file.seconds)).toBeLessThan(0.002);
  });

  it("stays under 1 MB per minute (about 40 kbit/s)", () => {
    const bytesPerMinute = (preview.ogg.length / preview.seconds) * 60;
    expect(bytesPerMinute).toBeLessThan(1_000_000);
    const kbps = (preview.ogg.length * 8) / preview.seconds / 1000;
    expect(kbps).toBeGreaterThan(24);
    expect(kbps).toBeLessThan(56);
  });

  it("is deterministic: the same MIDI gives the same bytes", async () => {
    const again = await renderAudioPreview(reelMidi);
    expect(Buffer.from(again.ogg).equals(Buffer.from(preview.ogg))).toBe(true);
  });
});

describe("Opus encoding and Ogg muxing", () => {
  it("aligns decoded audio with the input: pre-skip removes exactly the encoder delay", () => {
    const pcm = new Float32Array(RATE); // 1 s, with a click at 0.5 s
    pcm[12_000] = 0.8;
    const opus = encodeOpus(pcm, RATE, { bitrate: 40_000, complexity: 3 });
    const ogg = muxOggOpus(opus, { inputSampleRate: RATE });
    const decoded = decodeOggOpus(ogg);
    expect(decoded.length).toBe(RATE);
    let at = 0;
    decoded.forEach((x, i) => {
      if (Math.abs(x) > Math.abs(decoded[at] as number)) at = i;
    });
    expect(Math.abs(at - 12_000)).toBeLessThanOrEqual(2);
  });

  it("gives the final page the true end, shorter than the padded last frame", () => {
    const pcm = new Float32Array(12_345).map((_, i) => 0.3 * Math.sin(i / 5));
    const opus = encodeOpus(pcm, RATE, { bitrate: 40_000, complexity: 3 });
    const file = readOggOpus(muxOggOpus(opus, { inputSampleRate: RATE }));
    expect(file.seconds).toBeCloseTo(12_345 / RATE, 6);
    // 20 ms packets: what a decoder produces is longer than the signal; the granule trims it.
    expect(file.packets.length * 0.02).toBeGreaterThan(file.seconds);
  });
});

describe("renderAudioPreview: loudness", () => {
  it("brings a quiet and a loud tune to the same level, without clipping", async () => {
    const loudMidi = scaleVelocities(tuneToMidi(jig, { program: INSTRUMENTS.piano.program }), 1.27);
    const quietMidi = scaleVelocities(loudMidi, 0.15);
    const [loud, quiet] = await Promise.all([renderAudioPreview(loudMidi), renderAudioPreview(quietMidi)]);
    // The raw renders really differ: the quiet one needed much more gain.
    expect(quiet.gainDb - loud.gainDb).toBeGreaterThan(6);
    for (const preview of [loud, quiet]) {
      const pcm = decodeOggOpus(preview.ogg);
      expect(Math.abs(loudnessDb(pcm, RATE) - TARGET_LOUDNESS_DB)).toBeLessThan(1);
      // Peak below the ceiling plus codec overshoot; never at full scale.
      expect(peakOf(pcm)).toBeLessThan(PEAK_CEILING + 0.05);
      expect(pcm.some((x) => Math.abs(x) >= 0.999)).toBe(false);
    }
  });

  it("limits the peaks of an instrument with a high crest factor instead of clipping", async () => {
    // Staccato banjo: sharp attacks, little sustain, so the loudness gain drives peaks far up.
    const notes = Array.from({ length: 12 }, (_, i) => ({
      key: 55 + (i % 5) * 4,
      time: i * 0.5,
      duration: 0.05,
    }));
    const preview = await renderAudioPreview(midiOf(INSTRUMENTS.banjo.program, notes));
    const pcm = decodeOggOpus(preview.ogg);
    expect(Math.abs(loudnessDb(pcm, RATE) - TARGET_LOUDNESS_DB)).toBeLessThan(1.5);
    expect(peakOf(pcm)).toBeLessThan(PEAK_CEILING + 0.05);
  });
});

describe("renderAudioPreview: instruments", () => {
  const A4 = 69;
  const held = (name: InstrumentName, key = A4, seconds = 1.2) =>
    renderAudioPreview(midiOf(INSTRUMENTS[name].program, [{ key, time: 0, duration: seconds }])).then((p) =>
      decodeOggOpus(p.ogg),
    );
  const spectra = new Map<InstrumentName, Analysis>();
  const decoded = new Map<InstrumentName, Float32Array>();
  beforeAll(async () => {
    for (const name of ["fiddle", "flute", "piano", "whistle", "accordion", "guitar"] as const) {
      const pcm = await held(name);
      decoded.set(name, pcm);
      spectra.set(name, analyse(pcm, hz(A4)));
    }
  });

  it("plays at the right pitch across the range", async () => {
    for (const key of [45, 46, 57, 58, 70, 81, 82, 93]) {
      const { peakHz } = analyse(await held("flute", key, 0.8), hz(key), 0.2);
      // A real flute's low notes can be stronger in their octave than their fundamental, so the
      // strongest partial is compared up to octaves: within 20 cents (recorded samples are not
      // perfectly in tune; a sample-rate or root-key mistake is a semitone or more).
      const cents = 1200 * Math.log2(peakHz / hz(key));
      expect(Math.abs(cents - 1200 * Math.round(cents / 1200)), `key ${key}`).toBeLessThan(20);
    }
  });

  it("is not a sine: fiddle, flute and piano have real energy at harmonics 2–5", () => {
    for (const name of ["fiddle", "flute", "piano"] as const) {
      expect(spectra.get(name)?.upperDb, name).toBeGreaterThan(-20);
    }
    // The measurement itself tells a sine apart: a pure tone through the same codec scores far lower.
    const sine = new Float32Array(RATE).map((_, i) => 0.25 * Math.sin((2 * Math.PI * hz(A4) * i) / RATE));
    const sineBack = decodeOggOpus(
      muxOggOpus(encodeOpus(sine, RATE, { bitrate: 40_000, complexity: 3 }), { inputSampleRate: RATE }),
    );
    expect(analyse(sineBack, hz(A4)).upperDb).toBeLessThan(-30);
  });

  it("gives clearly different spectra to different instruments", () => {
    const names = [...spectra.keys()];
    for (const a of names) {
      for (const b of names) {
        if (a >= b) continue;
        const sa = spectra.get(a) as Analysis;
        const sb = spectra.get(b) as Analysis;
        // RMS difference of the harmonic profiles h2..h8, in dB.
        const diffs = sa.harmonicsDb.slice(1, 8).map((x, i) => x - (sb.harmonicsDb[i + 1] as number));
        const distance = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length);
        expect(distance, `${a} vs ${b}`).toBeGreaterThan(3);
      }
    }
  });

  it("lets piano and guitar notes decay while bowed and blown notes sustain", () => {
    const dropDb = (name: InstrumentName) => {
      const pcm = decoded.get(name) as Float32Array;
      return db(rms(pcm, 0.05, 0.2) / rms(pcm, 0.95, 1.1));
    };
    expect(dropDb("piano")).toBeGreaterThan(6);
    expect(dropDb("guitar")).toBeGreaterThan(6);
    expect(Math.abs(dropDb("fiddle"))).toBeLessThan(3);
    expect(Math.abs(dropDb("flute"))).toBeLessThan(3);
  });

  it("plays each instrument with its own SoundFont preset", async () => {
    const names = new Map<InstrumentName, string>();
    for (const name of INSTRUMENT_NAMES) {
      const preview = await renderAudioPreview(
        midiOf(INSTRUMENTS[name].program, [{ key: 62, time: 0, duration: 0.3 }]),
      );
      const played = preview.presets.get(0);
      expect(played, name).toBe(presetFor(INSTRUMENTS[name].program)?.name);
      names.set(name, played as string);
    }
    // Twelve instruments, twelve different sounds.
    expect(new Set(names.values()).size).toBe(INSTRUMENT_NAMES.length);
    expect(names.get("fiddle")).toMatch(/violin/i);
    expect(names.get("whistle")).toMatch(/whistle/i);
    expect(names.get("bagpipes")).toMatch(/bag ?pipe/i);
  });

  it("has a melodic preset for every instrument and accompaniment program", () => {
    for (const { program } of [...Object.values(INSTRUMENTS), ...Object.values(ACCOMPANIMENTS)]) {
      expect(presetFor(program), `program ${program}`).toBeDefined();
    }
    expect(allPrograms().length).toBeGreaterThanOrEqual(INSTRUMENT_NAMES.length);
  });
});

describe("renderAudioPreview: limits and errors", () => {
  it("cuts a long tune at maxSeconds with a fade, and says so", async () => {
    const long = tuneToMidi(reel, { program: INSTRUMENTS.accordion.program, bpm: 60 });
    expect(new Midi(long).duration).toBeGreaterThan(40);
    const preview = await renderAudioPreview(long, { maxSeconds: 8 });
    expect(preview.truncated).toBe(true);
    expect(preview.seconds).toBeCloseTo(8, 3);
    expect(readOggOpus(preview.ogg).seconds).toBeCloseTo(8, 3);
    const pcm = decodeOggOpus(preview.ogg);
    expect(rms(pcm, 7.95, 8)).toBeLessThan(0.002);
    expect(rms(pcm, 5, 5.5)).toBeGreaterThan(0.02);
  });

  it("refuses bytes that are not a MIDI file, a broken MIDI file and a MIDI file without notes", async () => {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    await expect(renderAudioPreview(garbage)).rejects.toMatchObject({ code: "not-midi" });
    await expect(renderAudioPreview(new Uint8Array())).rejects.toMatchObject({ code: "not-midi" });
    const broken = new TextEncoder().encode("MThd and then nothing that makes sense");
    await expect(renderAudioPreview(broken)).rejects.toMatchObject({ code: "bad-midi" });
    const silent = new Midi();
    silent.addTrack().instrument.number = 40;
    await expect(renderAudioPreview(silent.toArray())).rejects.toMatchObject({ code: "no-notes" });
    const drumsAlone = new Midi();
    const drums = drumsAlone.addTrack();
    drums.channel = 9;
    drums.addNote({ midi: 41, time: 0, duration: 0.2 });
    await expect(renderAudioPreview(drumsAlone.toArray())).rejects.toMatchObject({ code: "no-notes" });
    const error = await renderAudioPreview(garbage).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioPreviewError);
    expect(error).toBeInstanceOf(MusicError);
    expect((error as Error).message).toMatch(/MIDI/);
  });

  it("refuses a maxSeconds that is not a sensible positive number", async () => {
    const midi = midiOf(0, [{ key: 60, time: 0, duration: 0.5 }]);
    for (const maxSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 10_000]) {
      await expect(renderAudioPreview(midi, { maxSeconds })).rejects.toMatchObject({ code: "bad-option" });
    }
  });
});
