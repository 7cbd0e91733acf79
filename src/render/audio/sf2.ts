/**
 * A minimal SoundFont 2.01 writer: RIFF `sfbk` with INFO, sdta/smpl (16-bit mono samples)
 * and the nine pdta tables. Only what the preview's sound bank needs: mono samples, one
 * instrument zone per key range, one instrument per preset, no custom modulators (the
 * SF2 default modulators still apply: velocity to volume, mod wheel to vibrato…).
 */

/** SF2 generator operators used by the preview voices (SF2.04 §8.1.2). */
export const Gen = {
  vibLfoToPitch: 6,
  initialFilterFc: 8,
  modEnvToFilterFc: 11,
  reverbEffectsSend: 16,
  delayVibLFO: 23,
  freqVibLFO: 24,
  attackModEnv: 26,
  decayModEnv: 28,
  sustainModEnv: 29,
  releaseModEnv: 30,
  attackVolEnv: 34,
  holdVolEnv: 35,
  decayVolEnv: 36,
  sustainVolEnv: 37,
  releaseVolEnv: 38,
  keynumToVolEnvDecay: 40,
  instrument: 41,
  keyRange: 43,
  initialAttenuation: 48,
  sampleID: 53,
  sampleModes: 54,
} as const;

export type GeneratorOperator = (typeof Gen)[keyof typeof Gen];

export interface Sf2Sample {
  /** At most 20 ASCII characters. */
  readonly name: string;
  readonly data: Int16Array;
  readonly sampleRate: number;
  /** MIDI key at which the sample plays at its recorded pitch. */
  readonly rootKey: number;
  /** Loop start (inclusive) and end (exclusive) as indexes into `data`. */
  readonly loopStart: number;
  readonly loopEnd: number;
}

export interface Sf2InstrumentZone {
  readonly keyRange: readonly [number, number];
  /** Generator operator and signed 16-bit amount; keyRange and sampleID are added by the writer. */
  readonly generators: readonly (readonly [GeneratorOperator, number])[];
  /** Index into the bank's samples. */
  readonly sample: number;
}

export interface Sf2Instrument {
  readonly name: string;
  readonly zones: readonly Sf2InstrumentZone[];
}

export interface Sf2Preset {
  readonly name: string;
  readonly program: number;
  readonly bank: number;
  /** Index into the bank's instruments. */
  readonly instrument: number;
}

export interface Sf2Bank {
  readonly name: string;
  readonly samples: readonly Sf2Sample[];
  readonly instruments: readonly Sf2Instrument[];
  readonly presets: readonly Sf2Preset[];
}

/** The spec asks for at least 46 zero sample points after every sample (interpolator guard). */
const SAMPLE_GUARD = 46;

export function writeSf2(bank: Sf2Bank): Uint8Array {
  const info = list("INFO", [
    chunk("ifil", le16(2, 1)),
    chunk("isng", zstr("EMU8000")),
    chunk("INAM", zstr(bank.name)),
  ]);

  const smplLength = bank.samples.reduce((n, s) => n + s.data.length + SAMPLE_GUARD, 0);
  const smpl = new Uint8Array(smplLength * 2);
  const smplView = new DataView(smpl.buffer);
  const offsets: number[] = [];
  let at = 0;
  for (const s of bank.samples) {
    offsets.push(at);
    for (let i = 0; i < s.data.length; i++) smplView.setInt16((at + i) * 2, s.data[i] as number, true);
    at += s.data.length + SAMPLE_GUARD;
  }
  const sdta = list("sdta", [chunk("smpl", smpl)]);

  // Presets: one bag each, holding one `instrument` generator.
  const phdr = new Table(38);
  const pbag = new Table(4);
  const pgen = new Table(4);
  bank.presets.forEach((p, i) => {
    phdr.row((v) => {
      name20(v, 0, p.name);
      v.setUint16(20, p.program, true);
      v.setUint16(22, p.bank, true);
      v.setUint16(24, i, true);
    });
    pbag.row((v) => v.setUint16(0, i, true));
    pgen.row((v) => gen(v, Gen.instrument, p.instrument));
  });
  phdr.row((v) => {
    name20(v, 0, "EOP");
    v.setUint16(24, bank.presets.length, true);
  });
  pbag.row((v) => v.setUint16(0, bank.presets.length, true));
  pgen.row(() => {});

  const inst = new Table(22);
  const ibag = new Table(4);
  const igen = new Table(4);
  for (const instrument of bank.instruments) {
    inst.row((v) => {
      name20(v, 0, instrument.name);
      v.setUint16(20, ibag.count, true);
    });
    for (const zone of instrument.zones) {
      ibag.row((v) => v.setUint16(0, igen.count, true));
      // The spec fixes the order: keyRange first, sampleID last.
      igen.row((v) => gen(v, Gen.keyRange, zone.keyRange[0] | (zone.keyRange[1] << 8)));
      for (const [op, amount] of zone.generators) igen.row((v) => gen(v, op, amount));
      igen.row((v) => gen(v, Gen.sampleID, zone.sample));
    }
  }
  inst.row((v) => {
    name20(v, 0, "EOI");
    v.setUint16(20, ibag.count, true);
  });
  ibag.row((v) => v.setUint16(0, igen.count, true));
  igen.row(() => {});

  const shdr = new Table(46);
  bank.samples.forEach((s, i) => {
    const start = offsets[i] as number;
    shdr.row((v) => {
      name20(v, 0, s.name);
      v.setUint32(20, start, true);
      v.setUint32(24, start + s.data.length, true);
      v.setUint32(28, start + s.loopStart, true);
      v.setUint32(32, start + s.loopEnd, true);
      v.setUint32(36, s.sampleRate, true);
      v.setUint8(40, s.rootKey);
      v.setInt8(41, 0);
      v.setUint16(42, 0, true);
      v.setUint16(44, 1, true); // mono sample
    });
  });
  shdr.row((v) => name20(v, 0, "EOS"));

  // No modulators of our own: the bag indexes stay 0 and the tables hold only their terminal record.
  const emptyMod = new Table(10);
  emptyMod.row(() => {});
  const pdta = list("pdta", [
    chunk("phdr", phdr.bytes()),
    chunk("pbag", pbag.bytes()),
    chunk("pmod", emptyMod.bytes()),
    chunk("pgen", pgen.bytes()),
    chunk("inst", inst.bytes()),
    chunk("ibag", ibag.bytes()),
    chunk("imod", emptyMod.bytes()),
    chunk("igen", igen.bytes()),
    chunk("shdr", shdr.bytes()),
  ]);
  return riff("sfbk", [info, sdta, pdta]);
}

/** Fixed-size records appended one by one, each written through a DataView on its own bytes. */
class Table {
  private readonly rows: Uint8Array[] = [];
  constructor(private readonly size: number) {}
  get count(): number {
    return this.rows.length;
  }
  row(write: (view: DataView) => void): void {
    const bytes = new Uint8Array(this.size);
    write(new DataView(bytes.buffer));
    this.rows.push(bytes);
  }
  bytes(): Uint8Array {
    return concat(this.rows);
  }
}

function gen(view: DataView, op: number, amount: number): void {
  view.setUint16(0, op, true);
  view.setUint16(2, amount & 0xffff, true);
}

function name20(view: DataView, offset: number, name: string): void {
  const ascii = name.replace(/[^\x20-\x7e]/g, "?").slice(0, 20);
  for (let i = 0; i < ascii.length; i++) view.setUint8(offset + i, ascii.charCodeAt(i));
}

function le16(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    view.setUint16(i * 2, v, true);
  });
  return out;
}

/** Zero-terminated, padded to an even length as INFO strings must be. */
function zstr(text: string): Uint8Array {
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  const out = new Uint8Array((ascii.length + 2) & ~1);
  for (let i = 0; i < ascii.length; i++) out[i] = ascii.charCodeAt(i);
  return out;
}

function fourcc(id: string): Uint8Array {
  return Uint8Array.from(id, (c) => c.charCodeAt(0));
}

function chunk(id: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(fourcc(id));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

function list(type: string, chunks: Uint8Array[]): Uint8Array {
  return chunk("LIST", concat([fourcc(type), ...chunks]));
}

function riff(type: string, chunks: Uint8Array[]): Uint8Array {
  return chunk("RIFF", concat([fourcc(type), ...chunks]));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
