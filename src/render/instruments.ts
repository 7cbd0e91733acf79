/**
 * The instruments a user can pick for a tune. Each maps to the General MIDI program
 * written into the MIDI file and to the sound family the audio preview synthesises.
 */

/** How an instrument makes its sound; the preview's timbre recipes are per family. */
export type InstrumentFamily = "piano" | "bowed" | "flute" | "plucked" | "reed";

export interface Instrument {
  /** General MIDI program 0..127 (0-based). */
  readonly program: number;
  readonly family: InstrumentFamily;
}

export const INSTRUMENTS = {
  piano: { program: 0, family: "piano" },
  fiddle: { program: 40, family: "bowed" },
  cello: { program: 42, family: "bowed" },
  flute: { program: 73, family: "flute" },
  whistle: { program: 78, family: "flute" },
  harp: { program: 46, family: "plucked" },
  guitar: { program: 24, family: "plucked" },
  // GM has no mandolin; the steel-string guitar is the nearest bright, metal-strung sound.
  mandolin: { program: 25, family: "plucked" },
  banjo: { program: 105, family: "plucked" },
  accordion: { program: 21, family: "reed" },
  // The bandoneon (GM "tango accordion") is a member of the concertina family.
  concertina: { program: 23, family: "reed" },
  bagpipes: { program: 109, family: "reed" },
} as const satisfies Record<string, Instrument>;

export type InstrumentName = keyof typeof INSTRUMENTS;

export const INSTRUMENT_NAMES = Object.keys(INSTRUMENTS) as InstrumentName[];

export const DEFAULT_INSTRUMENT: InstrumentName = "piano";

export function isInstrumentName(name: string): name is InstrumentName {
  return Object.hasOwn(INSTRUMENTS, name);
}
