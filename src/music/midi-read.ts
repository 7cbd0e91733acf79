import toneMidi from "@tonejs/midi";
import { type Key, keySignature } from "./key.js";
import { estimateKey } from "./key-estimate.js";
import { pickMelody, type RawNote, skyline } from "./melody.js";
import { midiFailure, scanMidi } from "./midi-scan.js";
import { MidiImportError } from "./music-errors.js";
import { type Pitch, pitchClass, STEP_SEMITONES, type Step } from "./pitch.js";
import { rat } from "./rational.js";
import { DEFAULT_UNIT, isCompound, type Meter, type Tune, type TuneElement } from "./tune.js";

export interface MidiReadOptions {
  /** Overrides the title found in the file. */
  readonly title?: string;
  /** Most melody notes accepted (default 5000). */
  readonly maxNotes?: number;
  /** Largest file accepted (default 1 MiB). */
  readonly maxBytes?: number;
  /** Most bars written (default 5000), checked before barring. */
  readonly maxBars?: number;
}

/** Limits checked before the work they bound. */
export const MIDI_LIMITS = { maxNotes: 5000, maxBytes: 1024 * 1024, maxBars: 5000 } as const;
/**
 * @tonejs/midi pairs note-ons with note-offs in quadratic time, so the file as a whole may
 * hold only this many times the melody limit before we refuse to parse it.
 */
const NOTES_PER_MELODY_NOTE = 4;
/** Bounds @tonejs/midi's note pairing (see pairingCost in midi-scan): about 0.2 s. */
const MAX_PAIRING_WORK = 2e7;
const MAX_SECONDS = 3600;
/** Bounds the work of barring even under an absurd tempo (an hour at 240 bpm). */
const MAX_QUARTERS = 14_400;

/** Internal time unit: 1/48 of a whole note, so both 16ths (3) and triplet 8ths (4) are whole. */
const UNITS_PER_QUARTER = 12;
const WHOLE = 48;
/** Standard note values for splitting, in units, longest first: 1, 3/4, 1/2, 3/8, 1/4, 3/16, 1/8, 1/16. */
const STANDARD = [48, 36, 24, 18, 12, 9, 6, 3] as const;

/** A note (with midi) or rest in internal units. */
interface Span {
  readonly midi?: number;
  readonly start: number;
  readonly end: number;
}

type NoteSpan = Span & { readonly midi: number };

/**
 * Turns an uploaded MIDI file into a Tune: picks the melody track, takes its top voice,
 * quantises it to 16ths or triplet 8ths per beat, estimates the key and writes bars with
 * standard note values. Every failure is a MidiImportError with a message for the user.
 */
export function midiToTune(bytes: Uint8Array, options: MidiReadOptions = {}): Tune {
  const maxNotes = options.maxNotes ?? MIDI_LIMITS.maxNotes;
  const maxBytes = options.maxBytes ?? MIDI_LIMITS.maxBytes;
  try {
    const { format, noteOns, pairingWork } = scanMidi(bytes, maxBytes);
    if (noteOns === 0) throw midiFailure.empty();
    if (noteOns > NOTES_PER_MELODY_NOTE * maxNotes) throw tooManyNotes(maxNotes);
    if (pairingWork > MAX_PAIRING_WORK) {
      throw new MidiImportError(
        "too-long",
        "That MIDI file has too many notes in one part for me to read; send a shorter tune or just its melody.",
      );
    }
    let midi: InstanceType<typeof toneMidi.Midi>;
    try {
      midi = new toneMidi.Midi(bytes);
    } catch {
      throw midiFailure.corrupt();
    }
    return buildTune(midi, format, options.title, maxNotes, options.maxBars ?? MIDI_LIMITS.maxBars);
  } catch (e) {
    if (e instanceof MidiImportError) throw e;
    // Our own scan should have caught everything malformed; never let a raw error reach a user.
    const error = midiFailure.corrupt();
    error.cause = e;
    throw error;
  }
}

function tooManyNotes(maxNotes: number): MidiImportError {
  return new MidiImportError(
    "too-long",
    `That tune is too long (over ${maxNotes} notes); send a shorter one.`,
  );
}

type ToneMidi = InstanceType<typeof toneMidi.Midi>;

function buildTune(
  midi: ToneMidi,
  format: number,
  title: string | undefined,
  maxNotes: number,
  maxBars: number,
): Tune {
  const ppq = midi.header.ppq;
  const melody = pickMelody(midi, format === 0);
  const notes = skyline(melody, ppq / 16);
  if (notes.length > maxNotes) throw tooManyNotes(maxNotes);
  const first = notes[0];
  const last = notes[notes.length - 1];
  if (!first || !last) throw midiFailure.empty();
  const seconds = midi.header.ticksToSeconds(last.end) - midi.header.ticksToSeconds(first.start);
  if (seconds > MAX_SECONDS || (last.end - first.start) / ppq > MAX_QUARTERS) {
    throw new MidiImportError("too-long", "That MIDI file lasts over an hour; send a shorter tune.");
  }

  const { meter, origin } = readMeter(midi, last.end);
  // Shifted so that a bar line falls where the meter starts.
  const barTicks = (4 * ppq * meter.num) / meter.den;
  const shift = (barTicks - (origin % barTicks)) % barTicks;
  const aligned =
    shift === 0 ? notes : notes.map((n) => ({ ...n, start: n.start + shift, end: n.end + shift }));
  const spans = quantize(aligned, ppq, meter);
  const barLength = (WHOLE * meter.num) / meter.den;
  const final = spans[spans.length - 1];
  if (final && (final.end - (spans[0]?.start ?? 0)) / barLength > maxBars) {
    throw new MidiImportError(
      "too-long",
      `That tune is too long (over ${maxBars} bars); send a shorter one.`,
    );
  }
  const key = estimateKey(
    spans.map((s) => ({ midi: s.midi, duration: s.end - s.start })),
    { finalMidi: final?.midi, firstDownbeatMidi: spans.find((s) => s.start % barLength === 0)?.midi },
  );
  const tempo = midi.header.tempos[0];
  const bpm = tempo ? Math.round(tempo.bpm) : 0;
  return {
    title: cleanTitle(title) ?? cleanTitle(midi.header.name) ?? cleanTitle(melody.name) ?? "Untitled",
    meter,
    unitLength: DEFAULT_UNIT,
    key,
    // What a MIDI file can hold again (see midi-write); other tempos are left out.
    ...(bpm >= 4 && bpm <= 1000 ? { tempo: { bpm, beat: rat(1, 4) } } : {}),
    elements: barElements(withRests(spans), meter, key),
  };
}

function cleanTitle(text: string | undefined): string | undefined {
  // Titles end up in ABC headers and Discord messages: one short line.
  const cleaned = text
    ?.replace(/[\p{Cc}\p{Cf}]+/gu, " ")
    .trim()
    .slice(0, 100);
  return cleaned || undefined;
}

/** The first time signature if MIDI and our barring can both express it, else 4/4. */
/**
 * The meter in force for most of the music, and the tick it starts at, from which bars
 * are counted. So a pickup that a notation program exported as a short first measure
 * (a 1/4 time signature before the 4/4) stays a pickup instead of shifting every bar line.
 */
function readMeter(midi: ToneMidi, endTick: number): { meter: Meter; origin: number } {
  const signatures = midi.header.timeSignatures
    .map((ts) => {
      const [num = 0, den = 0] = ts.timeSignature;
      return { ticks: ts.ticks, meter: { num, den } };
    })
    .filter(({ meter: { num, den } }) => [1, 2, 4, 8, 16].includes(den) && num >= 1 && num <= 32)
    .sort((a, b) => a.ticks - b.ticks);
  let best = { meter: { num: 4, den: 4 }, origin: 0, span: -1 };
  signatures.forEach((ts, i) => {
    const span = (signatures[i + 1]?.ticks ?? endTick) - ts.ticks;
    if (span > best.span) best = { meter: ts.meter, origin: ts.ticks, span };
  });
  return { meter: best.meter, origin: best.origin };
}

/**
 * Snaps the melody to a grid of 1/48 whole notes. Grid choice is per quarter-note beat:
 * 16ths, or (in simple metres) triplet 8ths when the onsets in that beat fit those better.
 * Works on ticks, not seconds, so tempo changes cannot shift notes off the grid.
 */
function quantize(notes: readonly RawNote[], ppq: number, meter: Meter): NoteSpan[] {
  const triplets = !isCompound(meter) && meter.den <= 4;
  const beatTicks = (notationBeat(meter) * ppq) / UNITS_PER_QUARTER;
  // A time belongs to the beat its nearest 16th lies in, so a slightly early downbeat stays one.
  const beatOf = (tick: number) => Math.floor(Math.round((tick * 4) / ppq) / 4);
  const tripletBeats = new Set<number>();
  if (triplets) {
    const misfit = new Map<number, { sixteenths: number; triplets: number }>();
    for (const n of notes) {
      const beat = beatOf(n.start);
      const x = n.start / ppq - beat;
      const m = misfit.get(beat) ?? { sixteenths: 0, triplets: 0 };
      m.sixteenths += Math.abs(x - Math.round(4 * x) / 4);
      m.triplets += Math.abs(x - Math.round(3 * x) / 3);
      misfit.set(beat, m);
    }
    for (const [beat, m] of misfit) if (m.triplets + 1e-9 < m.sixteenths) tripletBeats.add(beat);
  }
  const snap = (tick: number): number => {
    const beat = beatOf(tick);
    const x = tick / ppq - beat;
    return (
      UNITS_PER_QUARTER * beat + (tripletBeats.has(beat) ? 4 * Math.round(3 * x) : 3 * Math.round(4 * x))
    );
  };
  const gridStep = (unit: number) => (tripletBeats.has(Math.floor(unit / UNITS_PER_QUARTER)) ? 4 : 3);

  // Snapping never reorders onsets; of notes landing together keep the last (the earlier is a grace note).
  const onsets: { note: RawNote; start: number }[] = [];
  for (const note of notes) {
    const start = snap(note.start);
    if (onsets[onsets.length - 1]?.start === start) onsets.pop();
    onsets.push({ note, start });
  }
  return onsets.map(({ note, start }, i) => {
    const next = onsets[i + 1];
    // Gaps shorter than a quarter of the time to the next note (for the last note: to the
    // next beat) are articulation, not rests.
    const nextTick = next ? next.note.start : Math.ceil(note.end / beatTicks) * beatTicks;
    if (nextTick - note.end < (nextTick - note.start) / 4) {
      return { midi: note.midi, start, end: next ? next.start : snap(nextTick) };
    }
    let end = snap(note.end);
    if (end <= start) end = start + gridStep(start);
    return { midi: note.midi, start, end: next ? Math.min(end, next.start) : end };
  });
}

/** Fills the gaps between notes with rests. */
function withRests(notes: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const n of notes) {
    const prev = out[out.length - 1];
    if (prev && prev.end < n.start) out.push({ start: prev.end, end: n.start });
    out.push(n);
  }
  return out;
}

/**
 * Writes the spans as bars: a bar line at every bar boundary, triplet beats as (3 groups,
 * and everything else split into standard values (tied for notes) that never hide a beat
 * or, in 4/4-like metres, the middle of the bar. The tune starts on its first note (a
 * partial first bar is a pickup) and its last bar is left as long as the music is, the
 * way folk tunes with a pickup are written.
 */
function barElements(spans: readonly Span[], meter: Meter, key: Key): TuneElement[] {
  const barLength = (WHOLE * meter.num) / meter.den;
  const beat = notationBeat(meter);
  const tupletBeats = new Set<number>();
  for (const s of spans) {
    for (const p of [s.start, s.end]) if (p % 3 !== 0) tupletBeats.add(beatIndex(p));
  }

  const atoms: { start: number; end: number; midi?: number; tie: boolean }[] = [];
  for (const span of spans) {
    for (const [a, b] of pairs([span.start, ...cutsInside(span, barLength, tupletBeats), span.end])) {
      const barStart = Math.floor(a / barLength) * barLength;
      const pieces = tupletBeats.has(beatIndex(a))
        ? [[a, b] as const]
        : standardPieces(a, b, barStart, barLength, beat);
      for (const [x, y] of pieces) {
        atoms.push({
          start: x,
          end: y,
          ...(span.midi === undefined ? {} : { midi: span.midi }),
          tie: y < span.end,
        });
      }
    }
  }

  const signature = keySignature(key);
  const sharps = signature.reduce((a, b) => a + b, 0) >= 0;
  const elements: TuneElement[] = [];
  atoms.forEach((atom, i) => {
    const prev = atoms[i - 1];
    if (prev && atom.start % barLength === 0) elements.push({ kind: "bar", bar: "|" });
    const group = beatIndex(atom.start);
    if (tupletBeats.has(group) && (!prev || beatIndex(prev.start) !== group)) {
      // A triplet beat holds at most three atoms (its edges are at 0, 4, 8 and 12 units).
      const r = atoms.slice(i, i + 3).filter((a) => beatIndex(a.start) === group).length;
      elements.push({ kind: "tuplet", p: 3, q: 2, r });
    }
    const duration = rat(atom.end - atom.start, WHOLE);
    elements.push(
      atom.midi === undefined
        ? { kind: "rest", duration }
        : {
            kind: "note",
            pitch: spell(atom.midi, signature, sharps),
            duration,
            ...(atom.tie ? { tie: true } : {}),
          },
    );
  });
  elements.push({ kind: "bar", bar: "|]" });
  return elements;
}

/**
 * The beat notes are grouped by, in units: a dotted quarter in compound metres, else the
 * denominator's value but at most a quarter (so 2/2 still shows its quarter beats).
 */
function notationBeat(meter: Meter): number {
  return isCompound(meter)
    ? (3 * WHOLE) / meter.den
    : Math.min(UNITS_PER_QUARTER, Math.max(3, WHOLE / meter.den));
}

function beatIndex(unit: number): number {
  return Math.floor(unit / UNITS_PER_QUARTER);
}

function* pairs(points: readonly number[]): Generator<[number, number]> {
  for (let i = 0; i + 1 < points.length; i++) yield [points[i] as number, points[i + 1] as number];
}

/** Bar lines and triplet-beat edges strictly inside the span, in order. */
function cutsInside(span: Span, barLength: number, tupletBeats: ReadonlySet<number>): number[] {
  const cuts = new Set<number>();
  for (let p = (Math.floor(span.start / barLength) + 1) * barLength; p < span.end; p += barLength)
    cuts.add(p);
  for (let b = beatIndex(span.start) + 1; b * UNITS_PER_QUARTER < span.end; b++) {
    if (tupletBeats.has(b) || tupletBeats.has(b - 1)) cuts.add(b * UNITS_PER_QUARTER);
  }
  return [...cuts].sort((x, y) => x - y);
}

/** Greedy split of [a, b) within one bar into the longest well-placed standard values. */
function standardPieces(
  a: number,
  b: number,
  barStart: number,
  barLength: number,
  beat: number,
): (readonly [number, number])[] {
  const beatsPerBar = barLength / beat;
  const middle = beatsPerBar >= 4 && beatsPerBar % 2 === 0 ? barLength / 2 : undefined;
  const wellPlaced = (at: number, d: number): boolean => {
    if (Math.floor(at / beat) === Math.floor((at + d - 1) / beat)) return true;
    // Across beats only from a beat, for whole beats or a dotted value of whole beats.
    if (at % beat !== 0 || (d % beat !== 0 && ((2 * d) / 3) % beat !== 0)) return false;
    return middle === undefined || at === 0 || at >= middle || at + d <= middle;
  };
  const out: (readonly [number, number])[] = [];
  for (let s = a; s < b; ) {
    const d = STANDARD.find((v) => s + v <= b && wellPlaced(s - barStart, v)) ?? b - s;
    out.push([s, s + d]);
    s += d;
  }
  return out;
}

/**
 * Spells a MIDI pitch in the key: scale notes as the signature has them, others as
 * naturals if possible, else sharps in sharp keys and flats in flat keys.
 */
function spell(midi: number, signature: readonly number[], sharps: boolean): Pitch {
  const letter = (semitone: number) => STEPS.find((s) => STEP_SEMITONES[s] === pitchClass(semitone));
  let step = STEPS.find((s) => pitchClass(STEP_SEMITONES[s] + (signature[s] ?? 0)) === pitchClass(midi));
  let alter = step === undefined ? 0 : (signature[step] ?? 0);
  step ??= letter(midi);
  if (step === undefined) {
    alter = sharps ? 1 : -1;
    step = letter(midi - alter) as Step;
  }
  return { step, octave: (midi - STEP_SEMITONES[step] - alter) / 12 - 1, alter };
}

const STEPS = [0, 1, 2, 3, 4, 5, 6] as const satisfies readonly Step[];
