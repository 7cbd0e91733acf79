/**
 * The instruments a user can pick for a tune, and for its backing. Each maps to a General
 * MIDI program: written into the MIDI file, and played from the SoundFont's preset of that
 * program in the audio preview (FluidR3Mono GM names in the comments).
 */

export interface Instrument {
  /** General MIDI program 0..127 (0-based). */
  readonly program: number;
}

export const INSTRUMENTS = {
  piano: { program: 0 }, // Yamaha Grand Piano
  fiddle: { program: 40 }, // Violin
  cello: { program: 42 }, // Cello
  flute: { program: 73 }, // Flute
  whistle: { program: 78 }, // Whistle
  harp: { program: 46 }, // Harp
  guitar: { program: 24 }, // Nylon String Guitar
  // GM has no mandolin; the steel-string guitar is the nearest bright, metal-strung sound.
  mandolin: { program: 25 }, // Steel String Guitar
  banjo: { program: 105 }, // Banjo
  accordion: { program: 21 }, // Accordion
  // The bandoneon (GM "tango accordion") is a member of the concertina family.
  concertina: { program: 23 }, // Bandoneon
  bagpipes: { program: 109 }, // BagPipe
} as const satisfies Record<string, Instrument>;

export type InstrumentName = keyof typeof INSTRUMENTS;

export const INSTRUMENT_NAMES = Object.keys(INSTRUMENTS) as InstrumentName[];

export const DEFAULT_INSTRUMENT: InstrumentName = "piano";

export function isInstrumentName(name: string): name is InstrumentName {
  return Object.hasOwn(INSTRUMENTS, name);
}

/** What plays the chords: a strummed steel-string guitar, a piano or an accordion. */
export const ACCOMPANIMENTS = {
  guitar: { program: 25 }, // Steel String Guitar
  piano: { program: 0 },
  accordion: { program: 21 },
} as const satisfies Record<string, Instrument>;

export type AccompanimentName = keyof typeof ACCOMPANIMENTS;

export const ACCOMPANIMENT_NAMES = Object.keys(ACCOMPANIMENTS) as AccompanimentName[];

export const DEFAULT_ACCOMPANIMENT: AccompanimentName = "guitar";

/** Every program a tune or its backing can use (to warm the audio preview up at start). */
export function allPrograms(): number[] {
  return [
    ...new Set([...Object.values(INSTRUMENTS), ...Object.values(ACCOMPANIMENTS)].map((i) => i.program)),
  ];
}
