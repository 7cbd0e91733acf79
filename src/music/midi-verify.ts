import toneMidi from "@tonejs/midi";
import MidiPlayer from "midi-player-js";
import { toTicks } from "./midi-write.js";
import { MusicError } from "./music-errors.js";
import { add, type Rational } from "./rational.js";

/** A note as a MIDI reader sees it. */
export interface SeenNote {
  readonly midi: number;
  /** 0-based MIDI channel. */
  readonly channel: number;
  readonly startTick: number;
  readonly endTick: number;
  /**
   * Note-on velocity as a percentage 0..100, the scale midi-player-js reports; coarser than
   * the 1..127 byte but enough to check accents.
   */
  readonly velocity: number;
}

/** What we meant to write: a PerformedNote or anything with the same timing fields. */
export interface ExpectedNote {
  readonly midi: number;
  readonly start: Rational;
  readonly duration: Rational;
  readonly velocity: number;
}

export class MidiVerifyError extends MusicError {}

/**
 * Notes of a MIDI file as read by midi-player-js, a parser sharing no code with
 * @tonejs/midi (which writes our files), so a bug in one is unlikely to hide in both.
 */
export function readNotesIndependently(bytes: Uint8Array): { ppq: number; notes: SeenNote[] } {
  const player = new MidiPlayer.Player();
  try {
    // A copy into a fresh ArrayBuffer: a Buffer's slice() is a view into a shared pool.
    player.loadArrayBuffer(new Uint8Array(bytes).buffer);
  } catch (e) {
    throw new MidiVerifyError("midi-unreadable", `midi-player-js cannot read the file: ${String(e)}`);
  }
  const notes: SeenNote[] = [];
  // getEvents() is typed as a flat list but returns one list per track.
  for (const track of player.getEvents() as unknown as MidiPlayer.Event[][]) {
    const sounding = new Map<string, { tick: number; velocity: number }[]>();
    for (const e of track) {
      if (e.noteNumber === undefined || e.channel === undefined || e.velocity === undefined) continue;
      const channel = e.channel - 1;
      const id = `${channel}:${e.noteNumber}`;
      // midi-player-js reports velocity in percent except for running-status events (raw 0..127).
      const velocity = e.running ? percent(e.velocity) : e.velocity;
      if (e.name === "Note on" && e.velocity > 0) {
        sounding.set(id, [...(sounding.get(id) ?? []), { tick: e.tick, velocity }]);
      } else if (e.name === "Note on" || e.name === "Note off") {
        const [on, ...rest] = sounding.get(id) ?? [];
        if (!on) continue;
        sounding.set(id, rest);
        notes.push({
          midi: e.noteNumber,
          channel,
          startTick: on.tick,
          endTick: e.tick,
          velocity: on.velocity,
        });
      }
    }
  }
  return { ppq: player.division, notes: sortNotes(notes) };
}

/** Notes of a MIDI file as read by @tonejs/midi. */
export function readNotesTone(bytes: Uint8Array): { ppq: number; notes: SeenNote[] } {
  const midi = new toneMidi.Midi(bytes);
  const notes = midi.tracks.flatMap((t) =>
    t.notes.map((n) => ({
      midi: n.midi,
      channel: t.channel,
      startTick: n.ticks,
      endTick: n.ticks + n.durationTicks,
      velocity: percent(Math.round(n.velocity * 127)),
    })),
  );
  return { ppq: midi.header.ppq, notes: sortNotes(notes) };
}

/**
 * The check every MIDI file we write must pass: both readers see the same notes with the
 * same timing, and (if given) exactly the notes we meant to write. Returns the notes seen;
 * throws a MidiVerifyError describing the first difference.
 */
export function verifyMidi(bytes: Uint8Array, expected?: readonly ExpectedNote[]): SeenNote[] {
  const independent = readNotesIndependently(bytes);
  let tone: { ppq: number; notes: SeenNote[] };
  try {
    tone = readNotesTone(bytes);
  } catch (e) {
    throw new MidiVerifyError("midi-unreadable", `@tonejs/midi cannot read the file: ${String(e)}`);
  }
  if (tone.ppq !== independent.ppq) {
    throw new MidiVerifyError("midi-mismatch", `PPQ differs: ${tone.ppq} vs ${independent.ppq}`);
  }
  compare(independent.notes, tone.notes, "midi-player-js", "@tonejs/midi");
  if (expected) {
    const ppq = independent.ppq;
    const wanted = expected.map((n) => ({
      midi: n.midi,
      startTick: toTicks(n.start, ppq),
      endTick: toTicks(add(n.start, n.duration), ppq),
      velocity: percent(n.velocity),
    }));
    compare(independent.notes, sortNotes(wanted), "the file", "the tune");
  }
  return independent.notes;
}

type Comparable = Omit<SeenNote, "channel">;

function compare(a: readonly Comparable[], b: readonly Comparable[], nameA: string, nameB: string): void {
  if (a.length !== b.length) {
    throw new MidiVerifyError("midi-mismatch", `${nameA} has ${a.length} notes, ${nameB} has ${b.length}`);
  }
  a.forEach((x, i) => {
    const y = b[i] as Comparable;
    if (
      x.midi !== y.midi ||
      x.startTick !== y.startTick ||
      x.endTick !== y.endTick ||
      x.velocity !== y.velocity
    ) {
      throw new MidiVerifyError(
        "midi-mismatch",
        `note ${i + 1} differs: ${nameA} ${describe(x)}, ${nameB} ${describe(y)}`,
      );
    }
  });
}

function percent(velocity: number): number {
  return Math.round((velocity / 127) * 100);
}

function describe(n: Comparable): string {
  return `pitch ${n.midi} ticks ${n.startTick}-${n.endTick} velocity ${n.velocity}`;
}

function sortNotes<T extends Comparable>(notes: T[]): T[] {
  return notes.sort((x, y) => x.startTick - y.startTick || x.midi - y.midi);
}
