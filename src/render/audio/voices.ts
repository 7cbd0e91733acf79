import { INSTRUMENTS, type InstrumentName } from "../instruments.js";
import type { SampleRecipe } from "./waveforms.js";

/**
 * How each instrument of the table sounds: the harmonic recipe of its samples and the SF2
 * envelopes and vibrato that shape each note. Families share a character (decaying struck
 * or plucked strings, bowed and blown notes that sustain on a loop); the instruments in a
 * family differ in brightness, body resonances and decay.
 */
export interface Voice {
  readonly program: number;
  readonly sample: SampleRecipe;
  /** Volume envelope; times in seconds, sustain as attenuation in dB. */
  readonly envelope: {
    readonly attack: number;
    readonly hold?: number;
    /** Time for a full 100 dB fall, as SF2 defines decay. */
    readonly decay: number;
    readonly sustainDb: number;
    readonly release: number;
  };
  /** Shorter decay for higher keys (SF2 keynumToVolEnvDecay, timecents per key). */
  readonly decayKeyTracking?: number;
  readonly vibrato?: { readonly hz: number; readonly cents: number; readonly delay: number };
}

/** Level (dB) of a resonance peak at `hz`: a bell curve in octaves. */
function resonance(hz: number, centreHz: number, gainDb: number, widthOctaves: number): number {
  const octaves = Math.log2(hz / centreHz) / widthOctaves;
  return gainDb * Math.exp(-octaves * octaves);
}

function db(value: number): number {
  return 10 ** (value / 20);
}

/** Plucking or striking at `position` of the string's length weakens harmonics near multiples of 1/position. */
function pluckedAt(h: number, position: number): number {
  return 0.15 + 0.85 * Math.abs(Math.sin(Math.PI * h * position));
}

/** A gentle roll-off above `hz`, 12 dB per octave: the body and air soften the top. */
function rollOff(hz: number, cornerHz: number): number {
  return 1 / (1 + (hz / cornerHz) ** 2);
}

const VOICES: Record<InstrumentName, Omit<Voice, "program">> = {
  piano: {
    sample: {
      spectrum: {
        maxHarmonics: 40,
        amplitude: (h, hz) => (pluckedAt(h, 1 / 7) / h ** 0.9) * rollOff(hz, 3500),
      },
      attack: {
        seconds: 0.45,
        decay: { fundamental: 1.2, tilt: 0.5 },
        noise: { level: 0.25, seconds: 0.012, lowpassHz: 1800 },
      },
    },
    envelope: { attack: 0.002, decay: 9, sustainDb: 100, release: 0.3 },
    decayKeyTracking: 20,
  },
  harp: {
    sample: {
      spectrum: {
        maxHarmonics: 20,
        amplitude: (h, hz) => (pluckedAt(h, 0.3) / h ** 1.4) * rollOff(hz, 2500),
      },
      attack: {
        seconds: 0.4,
        decay: { fundamental: 1.5, tilt: 0.6 },
        noise: { level: 0.08, seconds: 0.006, lowpassHz: 3000 },
      },
    },
    envelope: { attack: 0.003, decay: 7, sustainDb: 100, release: 1.2 },
    decayKeyTracking: 20,
  },
  guitar: {
    sample: {
      spectrum: { maxHarmonics: 30, amplitude: (h, hz) => (pluckedAt(h, 1 / 5) / h) * rollOff(hz, 3000) },
      attack: {
        seconds: 0.4,
        decay: { fundamental: 1, tilt: 0.7 },
        noise: { level: 0.12, seconds: 0.006, lowpassHz: 4000 },
      },
    },
    envelope: { attack: 0.002, decay: 5, sustainDb: 100, release: 0.5 },
    decayKeyTracking: 25,
  },
  mandolin: {
    sample: {
      spectrum: {
        maxHarmonics: 30,
        amplitude: (h, hz) => (pluckedAt(h, 1 / 8) / h ** 0.7) * rollOff(hz, 5000),
      },
      attack: {
        seconds: 0.35,
        decay: { fundamental: 0.7, tilt: 0.6 },
        noise: { level: 0.15, seconds: 0.004, lowpassHz: 6000 },
      },
    },
    envelope: { attack: 0.001, decay: 3, sustainDb: 100, release: 0.35 },
    decayKeyTracking: 25,
  },
  banjo: {
    sample: {
      // A drum-head bridge: bright and nasal, with a peak around 1–2 kHz.
      spectrum: {
        maxHarmonics: 30,
        amplitude: (h, hz) => (pluckedAt(h, 1 / 9) / h ** 0.6) * db(resonance(hz, 1500, 6, 1)),
      },
      attack: {
        seconds: 0.3,
        decay: { fundamental: 0.45, tilt: 0.8 },
        noise: { level: 0.2, seconds: 0.004, lowpassHz: 7000 },
      },
    },
    envelope: { attack: 0.001, decay: 2, sustainDb: 100, release: 0.25 },
    decayKeyTracking: 25,
  },
  fiddle: {
    sample: {
      // Bowed string: a sawtooth-like 1/h spectrum through the violin body's resonances
      // (air and wood modes near 280 and 450 Hz, the 2.5 kHz "bridge hill").
      spectrum: {
        maxHarmonics: 30,
        amplitude: (h, hz) =>
          (1 / h) *
          db(resonance(hz, 280, 6, 0.4) + resonance(hz, 480, 4, 0.4) + resonance(hz, 2600, 8, 0.7)) *
          rollOff(hz, 5000),
      },
      attack: { seconds: 0.12, noise: { level: 0.12, seconds: 0.05, lowpassHz: 5000 } },
    },
    envelope: { attack: 0.05, decay: 2, sustainDb: 4, release: 0.12 },
    vibrato: { hz: 5.5, cents: 14, delay: 0.25 },
  },
  cello: {
    sample: {
      spectrum: {
        maxHarmonics: 40,
        amplitude: (h, hz) =>
          (1 / h) *
          db(resonance(hz, 110, 5, 0.5) + resonance(hz, 220, 5, 0.4) + resonance(hz, 1500, 4, 0.8)) *
          rollOff(hz, 2500),
      },
      attack: { seconds: 0.15, noise: { level: 0.1, seconds: 0.06, lowpassHz: 3000 } },
    },
    envelope: { attack: 0.07, decay: 3, sustainDb: 3, release: 0.2 },
    vibrato: { hz: 5, cents: 12, delay: 0.3 },
  },
  flute: {
    sample: {
      // Mostly fundamental with a few weak overtones; a breathy chiff at the start.
      spectrum: {
        maxHarmonics: 8,
        amplitude: (h) => [1, 0.4, 0.22, 0.1, 0.06, 0.04, 0.02, 0.01][h - 1] ?? 0,
      },
      attack: { seconds: 0.12, noise: { level: 0.15, seconds: 0.06, lowpassHz: 3000 } },
    },
    envelope: { attack: 0.04, decay: 2, sustainDb: 2, release: 0.1 },
    vibrato: { hz: 5, cents: 10, delay: 0.2 },
  },
  whistle: {
    sample: {
      // The tin whistle is purer than the flute but has a stronger, reedier second and third harmonic.
      spectrum: { maxHarmonics: 6, amplitude: (h) => [1, 0.3, 0.18, 0.06, 0.03, 0.015][h - 1] ?? 0 },
      attack: { seconds: 0.08, noise: { level: 0.2, seconds: 0.03, lowpassHz: 5000 } },
    },
    envelope: { attack: 0.015, decay: 2, sustainDb: 1, release: 0.06 },
    vibrato: { hz: 5.5, cents: 6, delay: 0.35 },
  },
  accordion: {
    sample: {
      // Free reeds: rich in harmonics, two reed banks tuned apart for the "wet" musette beat.
      spectrum: { maxHarmonics: 30, amplitude: (h, hz) => (1 / h ** 0.7) * rollOff(hz, 4000) },
      attack: { seconds: 0.05 },
      detuneCents: 12,
    },
    envelope: { attack: 0.02, decay: 2, sustainDb: 1, release: 0.08 },
  },
  concertina: {
    sample: {
      // One reed per note, a little darker, with the odd harmonics stronger.
      spectrum: {
        maxHarmonics: 30,
        amplitude: (h, hz) => ((h % 2 ? 1 : 0.6) / h ** 0.8) * rollOff(hz, 3000),
      },
      attack: { seconds: 0.05 },
    },
    envelope: { attack: 0.015, decay: 2, sustainDb: 1, release: 0.06 },
  },
  bagpipes: {
    sample: {
      // A loud conical chanter: strong upper harmonics around 1–3 kHz, no vibrato, no decay.
      spectrum: {
        maxHarmonics: 30,
        amplitude: (h, hz) => (1 / h ** 0.4) * db(resonance(hz, 1800, 9, 0.8)) * rollOff(hz, 5000),
      },
      attack: { seconds: 0.03 },
    },
    envelope: { attack: 0.008, decay: 1, sustainDb: 0, release: 0.04 },
  },
};

/** One voice per instrument of the table, in table order (piano, the fallback, first). */
export const VOICE_LIST: readonly (Voice & { readonly name: InstrumentName })[] = (
  Object.keys(INSTRUMENTS) as InstrumentName[]
).map((name) => ({ name, program: INSTRUMENTS[name].program, ...VOICES[name] }));
