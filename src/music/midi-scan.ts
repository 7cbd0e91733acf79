import { MidiImportError } from "./music-errors.js";

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

export interface MidiScan {
  readonly format: number;
  readonly noteOns: number;
  /** What @tonejs/midi will spend pairing note-ons with note-offs (see pairingWork). */
  readonly pairingWork: number;
}

/** Checks header, chunks and every event; counts notes so limits apply before parsing. */
export function scanMidi(bytes: Uint8Array, maxBytes: number): MidiScan {
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
  let pairingWork = 0;
  for (let t = 0; t < tracks; t++) {
    if (pos + 8 > bytes.length || ascii(bytes, pos) !== "MTrk") throw midiFailure.corrupt();
    const end = pos + 8 + view.getUint32(pos + 4);
    if (end > bytes.length) throw midiFailure.corrupt();
    for (const part of scanTrack(bytes, pos + 8, end).values()) {
      noteOns += part.ons.length;
      pairingWork += pairingCost(part);
    }
    pos = end;
  }
  return { format, noteOns, pairingWork };
}

/** One channel and program of a track, as @tonejs/midi splits them: its notes' keys and ticks. */
interface Part {
  readonly ons: { key: number; tick: number }[];
  readonly offs: { key: number; tick: number }[];
}

/** Validates one track's events; returns its notes per part (program × 16 + channel). */
function scanTrack(bytes: Uint8Array, from: number, end: number): Map<number, Part> {
  let p = from;
  let status = 0;
  let tick = 0;
  const program = new Array<number>(16).fill(0);
  const parts = new Map<number, Part>();
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
    tick += varInt();
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
    const channel = status & 0xf;
    if (kind === 0xc) program[channel] = data;
    if (kind === 0x8 || kind === 0x9) {
      const id = (program[channel] as number) * 16 + channel;
      const part = parts.get(id) ?? { ons: [], offs: [] };
      (kind === 0x9 && second > 0 ? part.ons : part.offs).push({ key: data, tick });
      parts.set(id, part);
    }
  }
  return parts;
}

/**
 * @tonejs/midi pairs notes in quadratic time: for each note-on in turn it scans the
 * part's remaining note-offs for the first of the same key at or after it (`findIndex`),
 * then removes that one (`splice`). Harmless for real music, where the match is near the
 * front, but note-ons without note-offs, or thousands of stray note-offs, make it run for
 * seconds. This replays that search in O(n log n) and returns its cost: note-offs
 * scanned, plus a fifth of those moved by the splice (a move is that much cheaper).
 */
function pairingCost({ ons, offs }: Part): number {
  // Note-offs of each key, in file order (so in tick order), by index into `offs`.
  const byKey = new Map<number, number[]>();
  offs.forEach((off, i) => {
    const list = byKey.get(off.key) ?? [];
    list.push(i);
    byKey.set(off.key, list);
  });
  // Per key, the next position not yet taken (path-compressed), and a Fenwick tree of
  // remaining note-offs so an index's place among them is a prefix count.
  const nextFree = new Map<number, number[]>();
  for (const [key, list] of byKey) nextFree.set(key, [...Array(list.length + 1).keys()]);
  const tree = new Array<number>(offs.length + 1).fill(0);
  for (let i = 1; i <= offs.length; i++) {
    tree[i] = (tree[i] as number) + 1;
    const parent = i + (i & -i);
    if (parent <= offs.length) tree[parent] = (tree[parent] as number) + (tree[i] as number);
  }
  const before = (i: number): number => {
    let n = 0;
    for (let j = i; j > 0; j -= j & -j) n += tree[j] as number;
    return n;
  };
  const take = (i: number): void => {
    for (let j = i + 1; j <= offs.length; j += j & -j) tree[j] = (tree[j] as number) - 1;
  };
  const find = (free: number[], i: number): number => {
    let root = i;
    while (free[root] !== root) root = free[root] as number;
    for (let j = i; j !== root; ) {
      const next = free[j] as number;
      free[j] = root;
      j = next;
    }
    return root;
  };
  let remaining = offs.length;
  let work = 0;
  for (const on of ons) {
    const list = byKey.get(on.key);
    const free = nextFree.get(on.key);
    let at = -1;
    if (list && free) {
      // First note-off of this key at or after the note-on, then the first not yet taken.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((offs[list[mid] as number] as { tick: number }).tick >= on.tick) hi = mid;
        else lo = mid + 1;
      }
      const slot = find(free, lo);
      if (slot < list.length) {
        at = list[slot] as number;
        free[slot] = slot + 1;
      }
    }
    if (at < 0) {
      work += remaining;
      continue;
    }
    const scanned = before(at + 1);
    work += scanned + (remaining - scanned) / 5;
    take(at);
    remaining--;
  }
  return work;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}
