import type toneMidi from "@tonejs/midi";
import { midiFailure } from "./midi-scan.js";

/** Finding the tune in a MIDI file: the most melodic part, then its top voice. */

type ToneMidi = InstanceType<typeof toneMidi.Midi>;

const DRUM_CHANNEL = 9;
/** Notes between these (G3..C7) are where fiddle, flute and whistle tunes live. */
const MELODY_REGISTER = [55, 96] as const;

export interface Part {
  readonly name: string;
  readonly notes: RawNote[];
}

export interface RawNote {
  readonly midi: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The most melodic non-drum part. @tonejs/midi already splits tracks by channel and
 * program; in a format-0 file we merge a channel's pieces back so a program change does
 * not cut the tune in two.
 */
export function pickMelody(midi: ToneMidi, format0: boolean): Part {
  const withNotes = midi.tracks.filter((t) => t.notes.length > 0);
  if (withNotes.length === 0) throw midiFailure.empty();
  const pitched = withNotes.filter((t) => t.channel !== DRUM_CHANNEL && !t.instrument.percussion);
  if (pitched.length === 0) throw midiFailure.drumsOnly();
  const parts = new Map<unknown, Part>();
  for (const track of pitched) {
    const id = format0 ? track.channel : track;
    const part = parts.get(id) ?? { name: track.name, notes: [] };
    for (const n of track.notes)
      part.notes.push({ midi: n.midi, start: n.ticks, end: n.ticks + n.durationTicks });
    parts.set(id, part);
  }
  const ranked = [...parts.values()].map((part) => ({
    part,
    score: melodyScore(part.notes, midi.header.ppq),
  }));
  ranked.sort((a, b) => b.score - a.score);
  return (ranked[0] as { part: Part }).part;
}

/**
 * How much a part looks like the tune: many notes, mostly one at a time, in the melody
 * register, and high (accompaniment lies under the tune). Roughly: a monophonic part in
 * register scores log2(notes) plus an octave bonus per octave above middle C.
 */
function melodyScore(notes: readonly RawNote[], ppq: number): number {
  const sorted = [...notes].sort((a, b) => a.start - b.start);
  let soundingUntil = Number.NEGATIVE_INFINITY;
  let overlapping = 0;
  let inRegister = 0;
  let pitchSum = 0;
  for (const n of sorted) {
    // Legato overlaps of up to a 32nd are still one voice.
    if (n.start < soundingUntil - ppq / 8) overlapping++;
    soundingUntil = Math.max(soundingUntil, n.end);
    if (n.midi >= MELODY_REGISTER[0] && n.midi <= MELODY_REGISTER[1]) inRegister++;
    pitchSum += n.midi;
  }
  const count = sorted.length;
  return (
    Math.log2(1 + count) * (1 - (0.75 * overlapping) / count) * (0.25 + (0.75 * inRegister) / count) +
    (pitchSum / count - 60) / 12
  );
}

/**
 * The top voice: of notes starting together (within `tolerance` ticks) the highest wins;
 * a lower note under a still-sounding higher one is an inner voice and dropped; otherwise
 * each note is cut where the next begins, so the result is monophonic.
 */
export function skyline(part: Part, tolerance: number): RawNote[] {
  const sorted = [...part.notes].sort((a, b) => a.start - b.start || b.midi - a.midi);
  const out: RawNote[] = [];
  for (const n of sorted) {
    const prev = out[out.length - 1];
    if (prev && n.start - prev.start <= tolerance) {
      if (n.midi > prev.midi) out[out.length - 1] = { ...n, start: prev.start };
      continue;
    }
    if (prev && n.midi < prev.midi && n.end <= prev.end + tolerance) continue;
    if (prev && prev.end > n.start) out[out.length - 1] = { ...prev, end: n.start };
    out.push(n);
  }
  return out;
}
