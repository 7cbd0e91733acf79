import toneMidi from "@tonejs/midi";
import MidiPlayer from "midi-player-js";
import { describe, expect, it } from "vitest";
import { type Key, parseKey } from "../../src/music/key.js";
import { MidiVerifyError, readNotesIndependently, verifyMidi } from "../../src/music/midi-verify.js";
import { PPQ, tuneToMidi } from "../../src/music/midi-write.js";
import { MusicError } from "../../src/music/music-errors.js";
import { performNotes, VELOCITY } from "../../src/music/performance.js";
import { rat } from "../../src/music/rational.js";
import type { Meter, Tempo, Tune } from "../../src/music/tune.js";
import { asBufferView } from "../helpers/buffer-view.js";
import { els } from "../helpers/score.js";

function tune(text: string, opts: { meter?: Meter; key?: Key; tempo?: Tempo; title?: string } = {}): Tune {
  return {
    title: opts.title ?? "The Test Reel",
    meter: opts.meter ?? { num: 4, den: 4 },
    unitLength: rat(1, 8),
    key: opts.key ?? parseKey("D"),
    ...(opts.tempo ? { tempo: opts.tempo } : {}),
    elements: els(text),
  };
}

function playerEvents(bytes: Uint8Array): MidiPlayer.Event[] {
  const player = new MidiPlayer.Player();
  player.loadArrayBuffer(bytes.slice().buffer);
  return (player.getEvents() as unknown as MidiPlayer.Event[][]).flat();
}

const reel = tune(
  "|: D4 F#4 A4 F#4 D5:2 A4 F#4 | G4:2 B4 G4 (3 A4:2/3 B4:2/3 A4:2/3 F#4 E4 | [1 D4:4- D4:2 z:2 :| [2 D4:8 |]",
  { key: parseKey("A dorian"), tempo: { bpm: 100, beat: rat(1, 4) } },
);

describe("tuneToMidi", () => {
  it("writes every performed note so that @tonejs/midi and midi-player-js agree note for note", () => {
    const bytes = tuneToMidi(reel);
    const expected = performNotes(reel);
    expect(expected).toHaveLength(32);
    const seen = verifyMidi(bytes, expected);
    expect(seen).toHaveLength(32);
    // the triplet: 160-tick notes starting on beat 3 of bar 2
    const triplet = seen.filter((n) => n.endTick - n.startTick === 160);
    expect(triplet.map((n) => [n.midi, n.startTick])).toEqual([
      [69, 2880],
      [71, 3040],
      [69, 3200],
      [69, 2880 + 5760],
      [71, 3040 + 5760],
      [69, 3200 + 5760],
    ]);
    // first ending: tied D4 (three quarters) then a quarter rest; second pass goes to the whole-note [2
    expect(
      seen
        .filter((n) => n.midi === 62 && n.endTick - n.startTick >= 1440)
        .map((n) => [n.startTick, n.endTick]),
    ).toEqual([
      [3840, 5280],
      [9600, 11520],
    ]);

    const tone = new toneMidi.Midi(bytes);
    expect(tone.tracks).toHaveLength(1);
    const notes = tone.tracks[0]?.notes ?? [];
    expect(notes.map((n) => [n.midi, n.ticks, n.durationTicks, Math.round(n.velocity * 127)])).toEqual(
      expected.map((n) => [
        n.midi,
        (n.start.n * 4 * PPQ) / n.start.d,
        (n.duration.n * 4 * PPQ) / n.duration.d,
        n.velocity,
      ]),
    );
  });

  it("writes accented velocities, never zero", () => {
    const notes = new toneMidi.Midi(tuneToMidi(reel)).tracks[0]?.notes ?? [];
    const velocities = notes.map((n) => Math.round(n.velocity * 127));
    expect(velocities.slice(0, 8)).toEqual([
      VELOCITY.downbeat,
      VELOCITY.offbeat,
      VELOCITY.beat,
      VELOCITY.offbeat,
      VELOCITY.beat,
      VELOCITY.beat,
      VELOCITY.offbeat,
      VELOCITY.downbeat,
    ]);
    expect(Math.min(...velocities)).toBeGreaterThan(0);
  });

  it("stores tempo, time signature, key signature, program, channel and title", () => {
    const bytes = tuneToMidi(reel, { program: 73 });
    const tone = new toneMidi.Midi(bytes);
    expect(tone.header.ppq).toBe(480);
    expect(tone.header.tempos.map((t) => [t.ticks, Math.round(t.bpm * 1000) / 1000])).toEqual([[0, 100]]);
    expect(tone.header.timeSignatures.map((t) => t.timeSignature)).toEqual([[4, 4]]);
    expect(tone.header.name).toBe("The Test Reel");
    const track = tone.tracks[0];
    expect(track?.name).toBe("The Test Reel");
    expect(track?.channel).toBe(0);
    expect(track?.instrument.number).toBe(73);
    // A dorian has one sharp: written as its relative minor, E minor (sf = 1, mi = 1)
    expect(tone.header.keySignatures).toEqual([{ key: "G", scale: "minor", ticks: 0 }]);

    const events = playerEvents(bytes);
    const keySig = events.find((e) => e.name === "Key Signature") as MidiPlayer.Event & { data: Uint8Array };
    expect([...keySig.data]).toEqual([1, 1]);
    expect(events.find((e) => e.name === "Set Tempo")?.data).toBe(100);
    expect(events.find((e) => e.name === "Program Change")).toMatchObject({ value: 73, channel: 1 });
    const timeSig = events.find((e) => e.name === "Time Signature") as MidiPlayer.Event & {
      timeSignature: string;
    };
    expect(timeSig.timeSignature).toBe("4/4");
  });

  it("writes signatures of flat keys and mixolydian tunes, and respells ones beyond 7 sharps", () => {
    const sig = (key: string) => {
      const e = playerEvents(tuneToMidi(tune("C4:8 |]", { key: parseKey(key) }))).find(
        (x) => x.name === "Key Signature",
      ) as MidiPlayer.Event & { data: Uint8Array };
      const [sf = 0, mi = 0] = e.data;
      return [sf > 127 ? sf - 256 : sf, mi];
    };
    expect(sig("F")).toEqual([-1, 0]);
    expect(sig("D mix")).toEqual([1, 0]);
    expect(sig("Gm")).toEqual([-2, 1]);
    expect(sig("Bb dorian")).toEqual([-4, 1]);
    expect(sig("G#")).toEqual([-4, 0]); // 8 sharps → A flat major
  });

  it("converts the tune's tempo beat to quarter notes, defaults to 120 and lets options override", () => {
    const jig = tune("D4 E4 F#4 G4:3 | A4:6 |]", {
      meter: { num: 6, den: 8 },
      tempo: { bpm: 120, beat: rat(3, 8) },
    });
    const bpm = (bytes: Uint8Array) => Math.round(new toneMidi.Midi(bytes).header.tempos[0]?.bpm ?? 0);
    expect(bpm(tuneToMidi(jig))).toBe(180);
    expect(bpm(tuneToMidi(tune("C4:8 |]")))).toBe(120);
    expect(bpm(tuneToMidi(jig, { bpm: 90 }))).toBe(90);
    expect(new toneMidi.Midi(tuneToMidi(jig)).header.timeSignatures[0]?.timeSignature).toEqual([6, 8]);
    verifyMidi(tuneToMidi(jig), performNotes(jig));
  });

  it("refuses impossible programs, tempos and pitches", () => {
    expect(() => tuneToMidi(reel, { program: 128 })).toThrow(RangeError);
    expect(() => tuneToMidi(reel, { bpm: 0 })).toThrow(RangeError);
    expect(() => tuneToMidi(tune("A9:8 |]"))).toThrow(/outside the MIDI range/);
  });
});

describe("verifyMidi", () => {
  it("reads a Buffer that is a view into a larger buffer", () => {
    const t = tune("D4:2 E4:2 z:2 F#4:2 |]");
    expect(verifyMidi(asBufferView(tuneToMidi(t)), performNotes(t))).toHaveLength(3);
  });

  it("reads the notes independently of @tonejs/midi", () => {
    const { ppq, notes } = readNotesIndependently(tuneToMidi(tune("D4:2 E4:2 z:2 F#4:2 |]")));
    expect(ppq).toBe(480);
    expect(notes.map((n) => [n.midi, n.channel, n.startTick, n.endTick])).toEqual([
      [62, 0, 0, 480],
      [64, 0, 480, 960],
      [66, 0, 1440, 1920],
    ]);
  });

  it("throws a MusicError when the file does not hold the notes we meant", () => {
    const t = tune("D4:2 E4:2 F#4:2 |]");
    const bytes = tuneToMidi(t);
    const wrong = performNotes(t).map((n, i) => (i === 1 ? { ...n, duration: rat(1, 8) } : n));
    expect(() => verifyMidi(bytes, wrong)).toThrow(MidiVerifyError);
    expect(() => verifyMidi(bytes, performNotes(t).slice(1))).toThrow(/has 3 notes/);
    const other = performNotes(t).map((n) => ({ ...n, midi: n.midi + 1 }));
    try {
      verifyMidi(bytes, other);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MusicError);
      expect((e as MusicError).code).toBe("midi-mismatch");
    }
  });

  it("throws when the two readers disagree", () => {
    // A stray note-off before the note-on at the same tick: @tonejs/midi pairs the note-on
    // with it (a zero-length note), a sequential reader with the real note-off 480 ticks later.
    const track = [0x00, 0x80, 60, 64, 0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 64, 0x00, 0xff, 0x2f, 0x00];
    const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
    const bytes = new Uint8Array([...header, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, track.length, ...track]);
    expect(readNotesIndependently(bytes).notes.map((n) => [n.startTick, n.endTick])).toEqual([[0, 480]]);
    expect(() => verifyMidi(bytes)).toThrow(/ticks 0-480.*ticks 0-0/);
  });

  it("reports a damaged file as a MusicError, not a raw exception", () => {
    const bytes = tuneToMidi(tune("D4:2 E4:2 F#4:2 |]"));
    for (const cut of [1, 4, 9]) {
      expect(() => verifyMidi(bytes.slice(0, bytes.length - cut))).toThrow(
        expect.objectContaining({ code: "midi-unreadable" }),
      );
    }
  });
});
