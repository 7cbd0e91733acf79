import { MidiImportError } from "./errors.js";

/**
 * Structural validation of a MIDI file before any library parses it: @tonejs/midi reads
 * past the end of truncated data without complaint and trusts every declared length.
 */

const MAX_TRACKS = 256;

export const midiFailure = {
  notMidi: () =>
    new MidiImportError("not-midi", "That file isn't a MIDI file; send a standard MIDI file (.mid)."),
  corrupt: () =>
    new MidiImportError("corrupt", "That MIDI file is damaged or incomplete; try exporting it again."),
  empty: () => new MidiImportError("empty", "That MIDI file has no notes in it; send one with a melody."),
  drumsOnly: () =>
    new MidiImportError("drums-only", "That MIDI file has only drum parts; send one with a melody."),
};

/** Checks header, chunks and every event; counts note-ons so limits apply before parsing. */
export function scanMidi(bytes: Uint8Array, maxBytes: number): { format: number; noteOns: number } {
  if (bytes.length < 14 || ascii(bytes, 0) !== "MThd") throw midiFailure.notMidi();
  if (bytes.length > maxBytes) {
    throw new MidiImportError(
      "too-large",
      `That MIDI file is too large (over ${Math.floor(maxBytes / 1024)} KB); send a smaller one.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4);
  const format = view.getUint16(8);
  const tracks = view.getUint16(10);
  const division = view.getUint16(12);
  if (headerLength < 6 || 8 + headerLength > bytes.length || format > 2 || division === 0)
    throw midiFailure.corrupt();
  if (tracks > MAX_TRACKS) {
    throw new MidiImportError(
      "too-large",
      `That MIDI file declares ${tracks} tracks; I read files with up to ${MAX_TRACKS}.`,
    );
  }
  if (division & 0x8000) {
    throw new MidiImportError(
      "unsupported",
      "That MIDI file is timed in SMPTE frames, which I can't read; export it with beat-based timing.",
    );
  }
  if (tracks === 0) throw midiFailure.empty();
  let pos = 8 + headerLength;
  let noteOns = 0;
  for (let t = 0; t < tracks; t++) {
    if (pos + 8 > bytes.length || ascii(bytes, pos) !== "MTrk") throw midiFailure.corrupt();
    const end = pos + 8 + view.getUint32(pos + 4);
    if (end > bytes.length) throw midiFailure.corrupt();
    noteOns += scanTrack(bytes, pos + 8, end);
    pos = end;
  }
  return { format, noteOns };
}

/** Validates one track's events; returns its number of note-ons. */
function scanTrack(bytes: Uint8Array, from: number, end: number): number {
  let p = from;
  let status = 0;
  let noteOns = 0;
  const byte = (): number => {
    if (p >= end) throw midiFailure.corrupt();
    return bytes[p++] as number;
  };
  const varInt = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const b = byte();
      value = value * 128 + (b & 0x7f);
      if (!(b & 0x80)) return value;
    }
    throw midiFailure.corrupt();
  };
  while (p < end) {
    varInt(); // delta time
    const first = byte();
    if (first === 0xff || first === 0xf0 || first === 0xf7) {
      if (first === 0xff) byte(); // meta type
      const length = varInt();
      p += length;
      if (p > end) throw midiFailure.corrupt();
      continue;
    }
    if (first >= 0xf0) throw midiFailure.corrupt();
    let data = first;
    if (first & 0x80) {
      status = first;
      data = byte();
    } else if (!status) {
      throw midiFailure.corrupt();
    }
    const kind = status >> 4;
    const second = kind === 0xc || kind === 0xd ? 0 : byte();
    if ((data | second) & 0x80) throw midiFailure.corrupt();
    if (kind === 0x9 && second > 0) noteOns++;
  }
  return noteOns;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}
