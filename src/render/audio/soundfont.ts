import { Gen, type GeneratorOperator, type Sf2Instrument, type Sf2Sample, writeSf2 } from "./sf2.js";
import { VOICE_LIST, type Voice } from "./voices.js";
import { synthesizeSample } from "./waveforms.js";

/**
 * The preview's sound bank, built in code: one preset per instrument of the table, each
 * with one sample per octave-wide key zone so that no note is transposed more than half an
 * octave (which keeps the timbre true and leaves room to band-limit every zone).
 */

/** Zone roots (E2, E3 … E6) and the key ranges around them. */
const ZONES = [
  { root: 40, keys: [0, 45] },
  { root: 52, keys: [46, 57] },
  { root: 64, keys: [58, 69] },
  { root: 76, keys: [70, 81] },
  // The top zone is band-limited for keys up to C7; anything higher is rarer than a tin whistle's top.
  { root: 88, keys: [82, 127], bandLimitKey: 96 },
] as const;

let cached: Uint8Array | undefined;

/** SF2 file bytes of the preview sound bank; built on first use, then shared (never mutate it). */
export function previewSoundFont(): Uint8Array {
  cached ??= buildSoundFont();
  return cached;
}

function buildSoundFont(): Uint8Array {
  const samples: Sf2Sample[] = [];
  const instruments: Sf2Instrument[] = VOICE_LIST.map((voice) => {
    const synthesized = ZONES.map((zone) =>
      synthesizeSample(voice.sample, zone.root, "bandLimitKey" in zone ? zone.bandLimitKey : zone.keys[1]),
    );
    // One scale for all zones of a voice, so that notes keep their balance across zone borders.
    const peak = Math.max(...synthesized.map((s) => s.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
    const scale = (0.9 * 32767) / peak;
    const generators = voiceGenerators(voice);
    return {
      name: voice.name,
      zones: ZONES.map((zone, z) => {
        const s = synthesized[z] as (typeof synthesized)[number];
        samples.push({
          name: `${voice.name} ${zone.root}`,
          data: Int16Array.from(s.data, (x) => Math.round(x * scale)),
          sampleRate: s.sampleRate,
          rootKey: zone.root,
          loopStart: s.loopStart,
          loopEnd: s.loopEnd,
        });
        return { keyRange: zone.keys, generators, sample: samples.length - 1 };
      }),
    };
  });
  const presets = VOICE_LIST.map((voice, i) => ({
    name: `Tunesmith ${voice.name}`,
    program: voice.program,
    bank: 0,
    instrument: i,
  }));
  return writeSf2({ name: "Tunesmith folk preview", samples, instruments, presets });
}

/** SF2 time unit: 1200·log2(seconds). */
function timecents(seconds: number): number {
  return seconds <= 0 ? -12000 : Math.round(1200 * Math.log2(seconds));
}

function voiceGenerators(voice: Voice): [GeneratorOperator, number][] {
  const { envelope, vibrato } = voice;
  const gens: [GeneratorOperator, number][] = [
    [Gen.attackVolEnv, timecents(envelope.attack)],
    [Gen.holdVolEnv, timecents(envelope.hold ?? 0)],
    [Gen.decayVolEnv, timecents(envelope.decay)],
    [Gen.sustainVolEnv, Math.round(Math.min(144, envelope.sustainDb) * 10)],
    [Gen.releaseVolEnv, timecents(envelope.release)],
    [Gen.sampleModes, 1],
  ];
  if (voice.decayKeyTracking) gens.push([Gen.keynumToVolEnvDecay, voice.decayKeyTracking]);
  if (vibrato) {
    // LFO frequency in absolute cents above 8.176 Hz.
    gens.push(
      [Gen.freqVibLFO, Math.round(1200 * Math.log2(vibrato.hz / 8.176))],
      [Gen.delayVibLFO, timecents(vibrato.delay)],
      [Gen.vibLfoToPitch, vibrato.cents],
    );
  }
  return gens;
}
