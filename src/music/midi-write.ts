import toneMidi from "@tonejs/midi";
import { performAccompaniment, performBodhran } from "./accompaniment.js";
import type { Key } from "./key.js";
import { signatureFifths } from "./key.js";
import { type PerformedNote, type PerformOptions, performedMeters, performNotes } from "./performance.js";
import { add, type Rational, toNumber } from "./rational.js";
import type { Tune } from "./tune.js";

const { Midi } = toneMidi;

/** Ticks per quarter note. Divisible by 3 and 16, so triplets and 64ths land on whole ticks. */
export const PPQ = 480;
const DEFAULT_BPM = 120;

export interface MidiWriteOptions {
  /** General MIDI program 0..127 (default 0, acoustic grand piano). */
  readonly program?: number;
  /** Quarter notes per minute; overrides the tune's tempo. */
  readonly bpm?: number;
  /**
   * Plays the tune's chord symbols as a backing on a track of its own (channel 2) with this
   * GM program. Without it, or without chords, the file has the melody alone.
   */
  readonly accompaniment?: { readonly program: number };
  /** Swung eighths in the melody (hornpipes), see performNotes. */
  readonly swing?: Rational;
  /** A bodhrán on the GM percussion channel (channel 10). */
  readonly bodhran?: boolean;
}

/** 0-based channel of GM percussion (MIDI channel 10). */
export const PERCUSSION_CHANNEL = 9;

/**
 * Ticks of a whole-note position. Exact for every duration whose denominator divides
 * 4·PPQ; rarer tuplets (5, 7…) are rounded per position, so errors never accumulate.
 */
export function toTicks(wholeNotes: Rational, ppq = PPQ): number {
  return Math.round((wholeNotes.n * 4 * ppq) / wholeNotes.d);
}

/** Quarter-note bpm of the tune (its `Q:` may count dotted quarters, halves…). */
function quarterBpm(tune: Tune, options: MidiWriteOptions = {}): number {
  if (options.bpm !== undefined) return options.bpm;
  return tune.tempo ? tune.tempo.bpm * toNumber(tune.tempo.beat) * 4 : DEFAULT_BPM;
}

/**
 * A standard MIDI file of the performed tune: format 1, a conductor track (tempo, metre,
 * key) and one melody track on channel 0 (MIDI channel 1, never the drum channel).
 * Callers that store or send the file should pass it through verifyMidi first.
 */
export function tuneToMidi(tune: Tune, options: MidiWriteOptions = {}): Uint8Array {
  const program = options.program ?? 0;
  for (const p of [program, options.accompaniment?.program ?? 0]) {
    if (!Number.isInteger(p) || p < 0 || p > 127)
      throw new RangeError(`GM program must be an integer 0..127, got ${p}`);
  }
  const bpm = quarterBpm(tune, options);
  // A set-tempo event holds 24 bits of microseconds per quarter: below ~4 bpm it overflows.
  if (!(bpm >= 4 && bpm <= 1000)) throw new RangeError(`tempo must be 4..1000 quarter notes/min, got ${bpm}`);

  // One time signature per meter in force, where it starts sounding (repeats expanded).
  // MIDI stores the denominator as a power of two; other metres get no time signature.
  const timeSignatures = performedMeters(tune)
    .filter(({ meter: { num, den } }) => Number.isInteger(Math.log2(den)) && num >= 1 && num <= 255)
    .map(({ start, meter }) => ({ ticks: toTicks(start), timeSignature: [meter.num, meter.den] }));
  const midi = new Midi();
  midi.header.fromJSON({
    name: tune.title,
    ppq: PPQ,
    meta: [],
    tempos: [{ ticks: 0, bpm }],
    timeSignatures,
    keySignatures: [],
  });
  addTrack(midi, tune.title, 0, program, performNotes(tune, swingOf(options)));
  const backing = options.accompaniment ? performAccompaniment(tune) : [];
  if (options.accompaniment && backing.length > 0) {
    const track = addTrack(
      midi,
      "Accompaniment",
      ACCOMPANIMENT_CHANNEL,
      options.accompaniment.program,
      backing,
    );
    // Release time (GM2 sound controller 3) at its shortest: a player damps the strings
    // between strokes, and fewer ringing voices keep the preview fast.
    track.addCC({ number: 72, value: 0, ticks: 0 });
  }
  if (options.bodhran) addTrack(midi, "Bodhran", PERCUSSION_CHANNEL, 0, performBodhran(tune));
  return withKeySignature(midi.toArray(), tune.key);
}

/** 0-based channel of the accompaniment track (MIDI channel 2). */
export const ACCOMPANIMENT_CHANNEL = 1;

/** Everything tuneToMidi writes, in the order verifyMidi expects: melody, then the backing. */
export function performedMidiNotes(tune: Tune, options: MidiWriteOptions = {}): PerformedNote[] {
  return [
    ...performNotes(tune, swingOf(options)),
    ...(options.accompaniment ? performAccompaniment(tune) : []),
    ...(options.bodhran ? performBodhran(tune) : []),
  ];
}

function swingOf(options: MidiWriteOptions): PerformOptions {
  return options.swing ? { swing: options.swing } : {};
}

function addTrack(
  midi: InstanceType<typeof Midi>,
  name: string,
  channel: number,
  program: number,
  notes: readonly PerformedNote[],
): ReturnType<InstanceType<typeof Midi>["addTrack"]> {
  const track = midi.addTrack();
  track.name = name;
  track.channel = channel;
  track.instrument.number = program;
  for (const note of notes) {
    if (note.midi < 0 || note.midi > 127) {
      throw new RangeError(`pitch ${note.midi} is outside the MIDI range 0..127`);
    }
    const ticks = toTicks(note.start);
    track.addNote({
      midi: note.midi,
      ticks,
      durationTicks: toTicks(add(note.start, note.duration)) - ticks,
      velocity: note.velocity / 127,
    });
  }
  return track;
}

/**
 * @tonejs/midi 2.0.28 encodes key signatures wrongly (sharps + 14, Tonejs/Midi#173), so
 * we insert the FF 59 meta event into the conductor track ourselves.
 */
function withKeySignature(bytes: Uint8Array, key: Key): Uint8Array {
  // Modes without a signature of their own get their relative major or minor (A dorian: E minor).
  const minor =
    key.mode === "minor" || key.mode === "dorian" || key.mode === "phrygian" || key.mode === "locrian";
  let sf = signatureFifths(key);
  // Enharmonic respelling for signatures beyond 7 accidentals (G# major → Ab major).
  if (sf > 7) sf -= 12;
  if (sf < -7) sf += 12;
  const event = [0x00, 0xff, 0x59, 0x02, sf & 0xff, minor ? 1 : 0];
  // Header chunk is 14 bytes; the conductor track's length is at 18..21, its data at 22.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint8Array(bytes.length + event.length);
  out.set(bytes.subarray(0, 22));
  out.set(event, 22);
  out.set(bytes.subarray(22), 22 + event.length);
  new DataView(out.buffer).setUint32(18, view.getUint32(18) + event.length);
  return out;
}
