import { readFileSync } from "node:fs";
import toneMidi from "@tonejs/midi";
import { Rng } from "../../src/model/rng.js";
import { parseAbcFile } from "../../src/music/abc-read.js";
import { tuneToMidi } from "../../src/music/midi-write.js";

/**
 * Seeded hostile inputs for the readers of uploaded tunes. Case `index` of seed `seed` is
 * always the same bytes, so a failure is reproduced by its (seed, index) pair alone.
 */

/** Which public entry point a case goes through. */
export type Target = "import" | "abc" | "abc-file" | "midi";

export interface CaseLimits {
  readonly maxNotes?: number;
  readonly maxBars?: number;
}

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  readonly family: string;
  readonly target: Target;
  readonly input: Uint8Array | string;
  /** Small limits now and then, so the limit paths are exercised too. */
  readonly limits?: CaseLimits;
}

/** A few conveniences over the project's PRNG. */
export class Dice {
  constructor(private readonly rng: Rng) {}
  next(): number {
    return this.rng.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng.next() * items.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.rng.uint32() & 0xff;
    return out;
  }
  /** Mostly small, sometimes large: lengths spread over orders of magnitude. */
  size(max: number): number {
    return Math.floor(Math.exp(this.next() * Math.log(max + 1)));
  }
}

// ---------------------------------------------------------------- valid material

const FIXTURE_TEXT = readFileSync(new URL("../fixtures/tunes.abc", import.meta.url), "utf8");
const FIXTURE_TUNES = parseAbcFile(FIXTURE_TEXT).map((t) => t.source);
const FIXTURE_MIDI = parseAbcFile(FIXTURE_TEXT).flatMap((t) =>
  t.result.ok ? [tuneToMidi(t.result.tune)] : [],
);

const KEYS = ["C", "D", "G", "A", "Em", "Bm", "ADor", "DMix", "F", "Bb", "Gm", "C#m", "F#", "Cb", "EPhr"];
const METERS = ["4/4", "6/8", "3/4", "2/4", "9/8", "12/8", "C", "C|", "3/8", "5/4", "7/8", "2/2"];
const UNITS = ["1/8", "1/16", "1/4", "1/2", "1/32"];
const LENGTHS = ["", "", "", "2", "3", "4", "/2", "/", "3/2", "6", "8", "//", "3/4"];

/**
 * A tune our reader should accept: notes, rests, bar lines, repeats, endings, tuplets, chords,
 * meter changes, and what it passes over (unknown fields and decorations, rests in chords…).
 */
export function validAbc(d: Dice, bars = d.int(1, 24)): string {
  const head = [
    `X:${d.int(1, 999)}`,
    `T:Fuzz ${d.int(0, 1e6)}`,
    `M:${d.pick(METERS)}`,
    `L:${d.pick(UNITS)}`,
    ...(d.chance(0.5) ? [`Q:1/4=${d.int(40, 240)}`] : []),
    ...(d.chance(0.2) ? [d.pick(["Y:AAB", "P:ABAC", "J:x", "U:k=!roll!"])] : []),
    `K:${d.pick(KEYS)}`,
  ];
  const body: string[] = [];
  for (let b = 0; b < bars; b++) {
    let bar = b === 0 && d.chance(0.3) ? "|:" : "";
    if (d.chance(0.05)) bar += d.pick([`[M:${d.pick(METERS)}]`, `\nM:${d.pick(METERS)}\n`, "\nP:B\n"]);
    for (let n = d.int(1, 8); n > 0; n--) bar += abcEvent(d);
    const line = d.pick(["|", "|", "|", ":|", "||", "|1", "|2", "::", "|]", ":]", "[|]", "|:|"]);
    body.push(bar + line + (d.chance(0.2) ? "\n" : " "));
  }
  return `${head.join("\n")}\n${body.join("")}\n`;
}

function abcNote(d: Dice): string {
  const acc = d.chance(0.15) ? d.pick(["^", "_", "=", "^^", "__"]) : "";
  const letter = d.pick([..."CDEFGABcdefgab"]);
  const octave = d.chance(0.1) ? d.pick([",", "'", ",,", "''"]) : "";
  return acc + letter + octave;
}

function abcEvent(d: Dice): string {
  const r = d.next();
  if (r < 0.6) return abcNote(d) + d.pick(LENGTHS) + (d.chance(0.05) ? "-" : "") + (d.chance(0.2) ? " " : "");
  if (r < 0.7) return `z${d.pick(LENGTHS)}`;
  if (r < 0.78) return `(3${abcNote(d)}${abcNote(d)}${abcNote(d)} `;
  if (r < 0.84) return `[${abcNote(d)}${abcNote(d)}]${d.pick(LENGTHS)}`;
  if (r < 0.88) return `${abcNote(d)}>${abcNote(d)}`;
  if (r < 0.92) return `{${abcNote(d)}}${abcNote(d)}`;
  if (r < 0.95) return `"${d.pick(["G", "Am", "D7", "x y"])}"${abcNote(d)}`;
  if (r < 0.97) return d.pick(["[zc]", "[z2]", "^z", "=|", "#", "k", "R", "-"]);
  return `${d.pick(["!trill!", "~", ".", "!fermata!", "H", "T"])}${abcNote(d)}`;
}

/** A format-1 file written by @tonejs/midi from random parts (drums and odd PPQs included). */
export function validMidi(d: Dice): Uint8Array {
  if (d.chance(0.25)) return d.pick(FIXTURE_MIDI);
  const midi = new toneMidi.Midi();
  midi.header.setTempo(d.pick([60, 90, 120, 180, 300, 1]));
  if (d.chance(0.5))
    midi.header.timeSignatures.push({ ticks: 0, timeSignature: [d.int(1, 12), d.pick([2, 4, 8])] });
  const ppq = midi.header.ppq;
  for (let t = d.int(1, 4); t > 0; t--) {
    const track = midi.addTrack();
    track.channel = d.chance(0.15) ? 9 : d.int(0, 15);
    track.name = d.chance(0.5) ? `part ${t}` : "";
    let tick = d.int(0, 4) * (ppq / 4);
    for (let n = d.size(300); n > 0; n--) {
      const length = d.pick([1, 2, 3, 4, 6, 8, 12, 16]) * (ppq / 8);
      track.addNote({ midi: d.int(40, 90), ticks: tick, durationTicks: length, velocity: 0.8 });
      if (d.chance(0.2))
        track.addNote({ midi: d.int(30, 80), ticks: tick, durationTicks: length, velocity: 0.5 });
      tick += d.chance(0.1) ? length + d.int(1, ppq) : length;
    }
  }
  return midi.toArray();
}

// ---------------------------------------------------------------- hand-made MIDI

/** Variable-length quantity; `width` forces more bytes (5+ is malformed). */
export function vlq(value: number, width = 0): number[] {
  const out = [value & 0x7f];
  let v = Math.floor(value / 128);
  while (v > 0 || out.length < width) {
    out.unshift((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  return out;
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function header(format: number, tracks: number, division: number, length = 6): number[] {
  const body = [...u16(format), ...u16(tracks), ...u16(division)];
  while (body.length < length) body.push(0);
  return [...ascii("MThd"), ...u32(length), ...body.slice(0, Math.max(length, 0))];
}

export function track(events: readonly number[], endOfTrack = true): number[] {
  const data = [...events, ...(endOfTrack ? [0, 0xff, 0x2f, 0] : [])];
  return [...ascii("MTrk"), ...u32(data.length), ...data];
}

const note = (delta: number, key: number, on = true, channel = 0, velocity = 90): number[] => [
  ...vlq(delta),
  (on ? 0x90 : 0x80) | channel,
  key & 0x7f,
  on ? velocity : 0,
];

const tempo = (usPerQuarter: number): number[] => [
  0,
  0xff,
  0x51,
  3,
  (usPerQuarter >>> 16) & 0xff,
  (usPerQuarter >>> 8) & 0xff,
  usPerQuarter & 0xff,
];

function melody(d: Dice, count: number, step = 240, key = () => d.int(55, 84)): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const k = key();
    out.push(...note(0, k), ...note(step, k, false));
  }
  return out;
}

const file = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

// ---------------------------------------------------------------- MIDI families

function midiRandom(d: Dice): Uint8Array {
  const body = d.bytes(d.size(4096));
  if (d.chance(0.3)) return body;
  const out = file(ascii("MThd"), d.chance(0.5) ? [0, 0, 0, 6] : [], [...body]);
  return out;
}

function midiTruncated(d: Dice): Uint8Array {
  const whole = validMidi(d);
  return whole.slice(0, d.int(0, whole.length - 1));
}

function midiMutated(d: Dice): Uint8Array {
  const bytes = Uint8Array.from(validMidi(d));
  const edits = d.int(1, 12);
  for (let e = 0; e < edits; e++) {
    const at = d.int(0, bytes.length - 1);
    const kind = d.next();
    if (kind < 0.6) bytes[at] = (bytes[at] as number) ^ (1 << d.int(0, 7));
    else if (kind < 0.8) bytes[at] = d.pick([0x00, 0x7f, 0x80, 0xff, 0xf0, 0xf7, 0x90]);
    else if (at >= 8 && at < 14)
      bytes[at] = d.pick([0x00, 0xff]); // header fields
    else bytes[at] = d.int(0, 255);
  }
  if (d.chance(0.2)) {
    // Splice: a random slice of another file in the middle of this one.
    const other = validMidi(d);
    const from = d.int(0, other.length - 1);
    const piece = other.slice(from, from + d.int(1, 64));
    const at = d.int(0, bytes.length);
    return file([...bytes.slice(0, at)], [...piece], [...bytes.slice(at)]);
  }
  return bytes;
}

function midiHugeDelta(d: Dice): Uint8Array {
  const events: number[] = [];
  for (let i = d.int(1, 50); i > 0; i--) {
    const key = d.int(50, 90);
    const delta = d.pick([0x0fffffff, 0x0fffff00, d.int(0, 0x0fffffff), 1e6, 480]);
    events.push(...vlq(delta), 0x90, key, 90, ...vlq(d.pick([0x0fffffff, 1, 480])), 0x80, key, 0);
  }
  if (d.chance(0.3)) events.push(...vlq(1, 5), 0x90, 60, 90); // five-byte VLQ: malformed
  return file(header(0, 1, d.pick([1, 96, 480, 0x7fff])), track(events));
}

function midiManyTracks(d: Dice): Uint8Array {
  const declared = d.pick([65535, 65535, 257, 256, 1000, 0, 2]);
  const present = Math.min(declared, d.pick([1, 2, 256]));
  const tracks: number[][] = [];
  for (let t = 0; t < present; t++) tracks.push(track(t === 0 ? melody(d, d.int(1, 8)) : []));
  return file(header(1, declared, 480), ...tracks);
}

function midiRunningStatus(d: Dice): Uint8Array {
  const variant = d.int(0, 5);
  const events: number[] = [];
  if (variant === 0) events.push(0, 60, 90); // data before any status byte
  if (variant === 1) {
    // A long run of note-ons under one status byte, note-offs as velocity 0.
    events.push(0, 0x90, 60, 90);
    const count = d.size(20_000);
    for (let i = 0; i < count; i++) events.push(...vlq(120), d.int(40, 90), i % 2 ? 0 : 80);
  }
  if (variant === 2) events.push(0, 0x90, 60, 90, 0, 0xff, 0x01, 1, 65, 120, 60, 0); // across a meta event
  if (variant === 3) events.push(0, 0x90, 60, 90, 0, 0xf0, 1, 0xf7, 120, 60, 0); // across sysex
  if (variant === 4) events.push(0, 0x90, 60, 90, 0xf8, 120, 0x80, 60, 0); // realtime byte in the stream
  if (variant === 5) events.push(0, 0xc0, 5, 0, 70, 0, 0x90, 60, 90, 120, 0x80, 60, 0); // program, then running
  return file(header(0, 1, 480), track(events, d.chance(0.8)));
}

function midiHugeLengths(d: Dice): Uint8Array {
  const kind = d.int(0, 3);
  const big = d.pick([0x0fffffff, 0xffffff, 1e6, 65536]);
  const events =
    kind === 0
      ? [0, 0xf0, ...vlq(big), 0x7e, 0xf7]
      : kind === 1
        ? [0, 0xf7, ...vlq(big), 1]
        : kind === 2
          ? [0, 0xff, 0x03, ...vlq(big), 65, 66]
          : [0, 0xff, 0x7f, ...vlq(big)];
  const chunkLength = d.chance(0.5) ? 0xffffffff : undefined;
  const t = track([...melody(d, 4), ...events, ...melody(d, 4)]);
  if (chunkLength !== undefined) t.splice(4, 4, ...u32(chunkLength));
  return file(header(1, 1, 480), t);
}

function midiTempos(d: Dice): Uint8Array {
  const values = [0, 1, 0xffffff, 0x7fffff, 500_000, 60_000_000 / 1000, d.int(0, 0xffffff)];
  const conductor: number[] = [];
  for (let i = d.size(2000); i > 0; i--) conductor.push(...tempo(d.pick(values)));
  if (d.chance(0.3)) conductor.push(0, 0xff, 0x51, d.pick([0, 2]), 7, 0xa1); // malformed lengths
  if (d.chance(0.5)) conductor.push(0, 0xff, 0x58, 4, d.int(0, 255), d.int(0, 255), 24, 8); // time signature
  if (d.chance(0.3)) conductor.push(0, 0xff, 0x59, 2, d.int(0, 255), d.int(0, 255)); // key signature
  return file(header(1, 2, d.pick([1, 24, 480, 0x7fff])), track(conductor), track(melody(d, d.int(1, 64))));
}

function midiHeaders(d: Dice): Uint8Array {
  const format = d.pick([0, 1, 2, 3, 0xffff]);
  const division = d.pick([0, 1, 0x7fff, 0x8000, 0xe728, 0xe250, 480]);
  const length = d.pick([6, 6, 0, 5, 7, 100]);
  const tracks = d.pick([0, 1, 2]);
  const body: number[][] = [];
  for (let t = 0; t < Math.max(1, tracks); t++) body.push(track(melody(d, d.int(1, 16))));
  if (d.chance(0.2)) body.push([...ascii("XFIH"), ...u32(4), 1, 2, 3, 4]); // unknown chunk
  return file(header(format, tracks, division, length), ...body);
}

function midiDense(d: Dice): Uint8Array {
  const kind = d.int(0, 4);
  const ppq = 480;
  if (kind === 4) {
    // Note-ons never ended among a flood of stray note-offs: each note-on scans them all.
    const events: number[] = [];
    for (let i = d.pick([100, 2000, 10_000]); i > 0; i--) events.push(0, 0x90, 60, 90);
    for (let i = d.pick([10_000, 100_000, 250_000]); i > 0; i--) events.push(1, 0x80, 61, 0);
    return file(header(0, 1, ppq), track(events));
  }
  if (kind === 0) {
    // Around the note-on budget (4 × 5000 by default).
    const count = d.pick([19_990, 20_000, 20_001, 20_100, d.size(30_000)]);
    return file(header(0, 1, ppq), track(melody(d, count, 60)));
  }
  if (kind === 1) {
    // Thousands of note-ons of one pitch left sounding: the library pairs them quadratically.
    const events: number[] = [];
    const count = d.pick([2000, 8000, 19_999]);
    for (let i = 0; i < count; i++) events.push(...vlq(i ? 10 : 0), 0x90, 60, 90);
    for (let i = 0; i < count; i++) events.push(0, 0x80, 60, 0);
    return file(header(0, 1, ppq), track(events));
  }
  if (kind === 2) {
    // Full 128-note chords, every beat.
    const events: number[] = [];
    for (let beat = d.int(1, 150); beat > 0; beat--) {
      for (let k = 0; k < 128; k++) events.push(0, 0x90, k, 90);
      for (let k = 0; k < 128; k++) events.push(...vlq(k === 0 ? ppq : 0), 0x80, k, 0);
    }
    return file(header(0, 1, ppq), track(events));
  }
  // Orphan note-offs, note-ons never ended, zero-length notes, extreme keys and channels.
  const events: number[] = [];
  for (let i = d.int(1, 500); i > 0; i--) {
    const ch = d.pick([0, 9, 15]);
    const k = d.pick([0, 1, 11, 12, 127, 126, d.int(0, 127)]);
    const r = d.next();
    if (r < 0.3) events.push(...vlq(d.int(0, ppq)), 0x80 | ch, k, 0);
    else if (r < 0.6) events.push(...vlq(d.int(0, ppq)), 0x90 | ch, k, d.int(0, 127));
    else events.push(...vlq(d.int(0, 3)), 0x90 | ch, k, 90, 0, 0x80 | ch, k, 0);
  }
  return file(header(0, 1, d.pick([1, 3, ppq])), track(events));
}

function midiExtremePitches(d: Dice): Uint8Array {
  const low = d.chance(0.5);
  const events = melody(d, d.int(1, 40), d.pick([1, 7, 240, 960]), () =>
    low ? d.int(0, 11) : d.int(116, 127),
  );
  const sig = d.chance(0.5) ? [0, 0xff, 0x58, 4, d.pick([1, 7, 32, 0]), d.pick([0, 4, 5, 255]), 24, 8] : [];
  return file(header(0, 1, d.pick([1, 24, 480])), track([...sig, ...events]));
}

// ---------------------------------------------------------------- ABC families

function abcMutated(d: Dice): string {
  let text = d.chance(0.5) ? d.pick(FIXTURE_TUNES) : validAbc(d);
  const alphabet = "ABCDEFGabcdefgzxZ^_=,'/|:[]()<>-{}\"!+.~0123456789 \n\tKMLXTQUV%\\&$`y#*@;";
  for (let e = d.int(1, 10); e > 0; e--) {
    const at = d.int(0, text.length);
    const r = d.next();
    if (r < 0.4) text = text.slice(0, at) + d.pick([...alphabet]) + text.slice(at);
    else if (r < 0.7) text = text.slice(0, at) + text.slice(at + d.int(1, 8));
    else if (r < 0.85) {
      const from = d.int(0, text.length);
      text = text.slice(0, at) + text.slice(from, from + d.int(1, 40)) + text.slice(at);
    } else text = text.slice(0, at) + d.pick(HOSTILE_SNIPPETS) + text.slice(at);
  }
  return text;
}

const HOSTILE_SNIPPETS = [
  "C999999",
  "C/999999",
  "z999999",
  "C0",
  "C/0",
  "C//////",
  "(9:1:9",
  "(3",
  "[",
  "{",
  '"',
  "!",
  "+",
  "[K:",
  "[M:5/4]",
  "[L:1/999]",
  ">>>>",
  "Z64",
  "|:|:",
  "[1-9",
  "\\",
  "&",
  "V:2\n",
  "K:Zz\n",
  "^^^C",
  "c''''''",
  "C,,,,,,",
];

const withHeader = (body: string, d: Dice): string =>
  `X:1\nT:Hostile\nM:${d.pick(METERS)}\nL:${d.pick(UNITS)}\nK:${d.pick(KEYS)}\n${body}`;

function abcNesting(d: Dice): string {
  const depth = d.pick([10, 100, 1000, 10_000, 100_000]);
  const [open, close] = d.pick([
    ["(", ")"],
    ["[", "]"],
    ["{", "}"],
    ['"', '"'],
    ["!", "!"],
    ["+", "+"],
    ["(3", ""],
    ["[[", "]]"],
    ["{(", ")}"],
    ["[K:", "]"],
  ] as const);
  const middle = d.pick(["C", "CEG", "", "z", "|"]);
  const closed = d.chance(0.5);
  return withHeader(`${open.repeat(depth)}${middle}${closed ? close.repeat(depth) : ""}|]\n`, d);
}

function abcDurations(d: Dice): string {
  const lengths = [
    "999999",
    "/999999",
    "999999/999999",
    "0",
    "/0",
    "0/0",
    "//////",
    "/////",
    "3/",
    "9999999999",
    "/9999999999",
    "1/3",
    "1/7",
    "/251",
    "/241",
    "/239",
    "2/233",
    "16",
    "128",
  ];
  // Half the cases keep to lengths that are odd but readable, so some tunes get through.
  const pool = d.chance(0.5) ? lengths : ["", "2", "/2", "3/2", "16", "/8", "/3", "3/", "//", "7/4"];
  let body = "";
  for (let i = d.int(1, 40); i > 0; i--) {
    body += d.pick(["C", "z", "^C", "[CE]", "x", "C>", "c'"]) + d.pick(pool);
    if (d.chance(0.2)) body += "|";
  }
  const unit = d.chance(0.5)
    ? d.pick(["1/8", "1/64", "1/1", "1/16"])
    : d.pick(["64/1", "1/999999", "9".repeat(d.int(1, 400)), `1/${"9".repeat(400)}`]);
  return `X:1\nM:${d.pick(METERS)}\nL:${unit}\nK:C\n${body}|]\n`;
}

function abcBars(d: Dice): string {
  const count = d.pick([1000, 10_000, 100_000]);
  const bar = d.pick([
    "C|",
    "|",
    "z|",
    "Z64",
    "Z",
    "::",
    "|:",
    ":|",
    "|1 C",
    "[1C|",
    "|]",
    "CDEF GABc|",
    "x8|",
    "(3CDE|",
  ]);
  const sep = d.chance(0.3) ? "\n" : "";
  return withHeader(Array.from({ length: count }, () => bar).join(sep), d);
}

function abcUnterminated(d: Dice): string {
  const tail = d.pick([
    '"Am',
    "[CEG",
    "{ga",
    "!trill",
    "+fermata",
    "[K:D",
    "(3ab",
    "[1",
    "C>",
    "C-",
    "(5:4",
    "[M:",
  ]);
  const after = d.pick(["", "\n", "\nCDE|]\n", "|]", " C D"]);
  return withHeader(`${abcEvent(d)}${abcEvent(d)}${tail}${after}`, d);
}

function randomCodePoint(d: Dice): string {
  const r = d.next();
  if (r < 0.2) return String.fromCharCode(d.int(0, 31));
  if (r < 0.25) return String.fromCharCode(d.int(0x7f, 0x9f));
  if (r < 0.35) return d.pick(["\uFEFF", "\u200D", "\u202E", "\u2028", "\u0085", "\r", "\r\n", "\u0000"]);
  if (r < 0.45) return d.pick(["\u0301", "\u0308", "\u20DD"]); // combining marks
  if (r < 0.55) return String.fromCodePoint(d.int(0x1f300, 0x1faff)); // emoji
  if (r < 0.6) return String.fromCharCode(d.int(0xd800, 0xdfff)); // lone surrogate
  if (r < 0.7) return String.fromCharCode(d.int(0xff21, 0xff5a)); // full-width letters
  if (r < 0.8) return d.pick(["♯", "♭", "♮", "ß", "É", "Ω"]);
  return String.fromCodePoint(d.int(0xa0, 0x10ffff));
}

function abcUnicode(d: Dice): string {
  let text = d.chance(0.5) ? d.pick(FIXTURE_TUNES) : validAbc(d);
  // Anywhere, or only where text is free (titles, comments, annotations).
  const anywhere = d.chance(0.5);
  for (let e = d.int(1, 30); e > 0; e--) {
    const spots = anywhere ? [] : [...text.matchAll(/T:|%|"/g)].map((m) => (m.index ?? 0) + m[0].length);
    const at = anywhere || spots.length === 0 ? d.int(0, text.length) : d.pick(spots);
    let c = randomCodePoint(d);
    if (!anywhere) c = c.replace(/[\p{Cc}"\u2028]/gu, "\u00e9");
    text = text.slice(0, at) + c + text.slice(at);
  }
  if (d.chance(0.3)) text = text.replace(/\n/g, d.pick(["\r\n", "\r", "\u2028"]));
  if (d.chance(0.2)) text = `\uFEFF${text}`;
  return text;
}

function abcHeaders(d: Dice): string {
  const fields = [
    `T:${"x".repeat(d.pick([1, 1000, 100_000]))}`,
    `T:${randomCodePoint(d).repeat(d.int(1, 500))}`,
    `M:${d.pick(["99/99", "0/4", "4/0", "none", "C|", "12345678901234567890/4", "4/4 4/4", "", "3/4%x"])}`,
    `L:${d.pick(["1/8", "0", "1/0", "", "a/b", "1/128", "1/63", "3/8"])}`,
    `Q:${d.pick(["1/4=0", "0/0=100", "9999999999/1=1000", '"x" 1/4=120', "1/64=1", "1/4=999999999999999999999", "1/1=1000", `${"9".repeat(400)}`, "1/4=3", "400"])}`,
    `K:${d.pick(["C", "Zz", "H", "C# locrian", "Cb", "D ^g", "A dorian clef=bass", "E".repeat(d.int(1, 10_000)), ""])}`,
    `U:${d.pick(["W = !trill!", "~ = .", "Z=!x!"])}`,
    `V:${d.int(1, 3)}`,
    `%%${"y".repeat(d.int(0, 200))}`,
    `w:${"la ".repeat(d.int(0, 200))}`,
  ];
  const head = ["X:1"];
  for (let i = d.int(1, 12); i > 0; i--) head.push(d.pick(fields));
  if (d.chance(0.8)) head.push(`K:${d.pick(KEYS)}`);
  return `${head.join("\n")}\n${d.chance(0.7) ? "CDE FGA|]" : ""}\n${d.chance(0.3) ? `${d.pick(fields)}\nCDE|]\n` : ""}`;
}

const TOKENS = [
  ..."ABCDEFGabcdefg",
  "z",
  "x",
  "Z",
  "^",
  "_",
  "=",
  ",",
  "'",
  "2",
  "/2",
  "3/2",
  "|",
  "||",
  "|]",
  "|:",
  ":|",
  "::",
  "[1",
  "[2",
  "(3",
  "(5:4:5",
  "[",
  "]",
  "(",
  ")",
  "{",
  "}",
  "-",
  ">",
  "<",
  '"G"',
  "!trill!",
  " ",
  "\n",
  "%c\n",
  "\\\n",
  "[K:G]",
  "[M:3/4]",
  "[L:1/16]",
  "K:D\n",
  "T:x\n",
  "X:2\n",
];

function abcTokens(d: Dice): string {
  const count = d.size(2000);
  let body = "";
  for (let i = 0; i < count; i++) body += d.pick(TOKENS);
  return withHeader(body, d);
}

function abcSplice(d: Dice): string {
  const a = d.chance(0.5) ? d.pick(FIXTURE_TUNES) : validAbc(d);
  const b = d.chance(0.5) ? d.pick(FIXTURE_TUNES) : validAbc(d);
  const cut = (s: string) => d.int(0, s.length);
  const pieces = [a.slice(0, cut(a)), b.slice(cut(b))];
  if (d.chance(0.3)) pieces.push(a.slice(cut(a)));
  return pieces.join(d.pick(["", "\n", "X:9\n"]));
}

/** Beyond the text limit: only the parser's own limit stands between it and the work. */
function abcHuge(d: Dice): string {
  const unit = d.pick(["CDEF GABc|", "z|", "|", '"x"', "% comment\n"]);
  return withHeader(unit.repeat(Math.ceil((d.int(1, 2) * 1024 * 1024) / unit.length)), d);
}

function abcManyTunes(d: Dice): string {
  const count = d.pick([10, 100, 2000]);
  const tunes: string[] = [];
  for (let i = 0; i < count; i++)
    tunes.push(d.chance(0.8) ? `X:${i}\nK:C\nCDE|]\n` : `X:${i}\n${abcMutated(d)}`);
  return tunes.join("\n");
}

function randomBytes(d: Dice): Uint8Array {
  const bytes = d.bytes(d.size(8192));
  if (d.chance(0.2)) bytes.set([0xef, 0xbb, 0xbf].slice(0, bytes.length)); // a BOM, then garbage
  return bytes;
}

// ---------------------------------------------------------------- the mix

interface Family {
  readonly name: string;
  readonly weight: number;
  readonly kind: "midi" | "abc" | "bytes";
  readonly make: (d: Dice) => Uint8Array | string;
}

export const FAMILIES: readonly Family[] = [
  { name: "bytes-random", weight: 6, kind: "bytes", make: randomBytes },
  { name: "midi-valid", weight: 5, kind: "midi", make: validMidi },
  { name: "midi-random", weight: 4, kind: "midi", make: midiRandom },
  { name: "midi-truncated", weight: 6, kind: "midi", make: midiTruncated },
  { name: "midi-mutated", weight: 10, kind: "midi", make: midiMutated },
  { name: "midi-huge-delta", weight: 3, kind: "midi", make: midiHugeDelta },
  { name: "midi-many-tracks", weight: 2, kind: "midi", make: midiManyTracks },
  { name: "midi-running-status", weight: 3, kind: "midi", make: midiRunningStatus },
  { name: "midi-huge-lengths", weight: 3, kind: "midi", make: midiHugeLengths },
  { name: "midi-tempos", weight: 3, kind: "midi", make: midiTempos },
  { name: "midi-headers", weight: 3, kind: "midi", make: midiHeaders },
  { name: "midi-dense", weight: 2, kind: "midi", make: midiDense },
  { name: "midi-extreme-pitches", weight: 2, kind: "midi", make: midiExtremePitches },
  { name: "abc-valid", weight: 6, kind: "abc", make: validAbc },
  { name: "abc-mutated", weight: 12, kind: "abc", make: abcMutated },
  { name: "abc-nesting", weight: 3, kind: "abc", make: abcNesting },
  { name: "abc-durations", weight: 5, kind: "abc", make: abcDurations },
  { name: "abc-bars", weight: 2, kind: "abc", make: abcBars },
  { name: "abc-unterminated", weight: 4, kind: "abc", make: abcUnterminated },
  { name: "abc-unicode", weight: 5, kind: "abc", make: abcUnicode },
  { name: "abc-headers", weight: 5, kind: "abc", make: abcHeaders },
  { name: "abc-tokens", weight: 8, kind: "abc", make: abcTokens },
  { name: "abc-splice", weight: 4, kind: "abc", make: abcSplice },
  { name: "abc-huge", weight: 0.3, kind: "abc", make: abcHuge },
  { name: "abc-many-tunes", weight: 1, kind: "abc", make: abcManyTunes },
];

const TOTAL_WEIGHT = FAMILIES.reduce((s, f) => s + f.weight, 0);

/** Case `index` of the run seeded `seed`: independent of every other case. */
export function generateCase(seed: number, index: number): FuzzCase {
  const d = new Dice(Rng.derive(seed, index));
  const r = d.next() * TOTAL_WEIGHT;
  let below = 0;
  const family =
    FAMILIES.find((f) => {
      below += f.weight;
      return r < below;
    }) ?? (FAMILIES[0] as Family);
  const input = family.make(d);
  const limits = d.chance(0.1) ? { maxNotes: d.pick([1, 10, 100]), maxBars: d.pick([1, 4, 50]) } : undefined;
  const target: Target =
    family.kind === "midi"
      ? d.pick(["import", "midi"])
      : family.kind === "bytes"
        ? "import"
        : d.pick(["import", "import", "abc", "abc-file"]);
  return { seed, index, family: family.name, target, input, ...(limits ? { limits } : {}) };
}
