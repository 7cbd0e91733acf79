import toneMidi from "@tonejs/midi";
import { describe, expect, it } from "vitest";
import { abcKeyName } from "../../src/music/key.js";
import { midiToTune } from "../../src/music/midi-read.js";
import { readNotesTone, verifyMidi } from "../../src/music/midi-verify.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { MidiImportError } from "../../src/music/music-errors.js";
import { performNotes } from "../../src/music/performance.js";
import { pitchName } from "../../src/music/pitch.js";
import { formatRational } from "../../src/music/rational.js";
import type { Tune } from "../../src/music/tune.js";

const Q = 480;

/** [midi, startTick, durationTicks] */
type N = readonly [number, number, number];

/** Consecutive notes from (midi, ticks) pairs, starting at `from`. */
function line(from: number, notes: readonly (readonly [number, number])[]): N[] {
  let tick = from;
  return notes.map(([midi, dur]) => {
    const n = [midi, tick, dur] as const;
    tick += dur;
    return n;
  });
}

interface TrackSpec {
  notes: readonly N[];
  channel?: number;
  program?: number;
  name?: string;
}

/** A format-1 file written by @tonejs/midi. */
function midiFile(
  tracks: TrackSpec[],
  opts: {
    meter?: [number, number];
    /** Time signatures with their ticks (instead of `meter` at tick 0). */
    meters?: { ticks: number; timeSignature: [number, number] }[];
    bpm?: number[];
    name?: string;
    ppq?: number;
  } = {},
): Uint8Array {
  const m = new toneMidi.Midi();
  m.header.fromJSON({
    name: opts.name ?? "",
    ppq: opts.ppq ?? Q,
    meta: [],
    tempos: (opts.bpm ?? [120]).map((bpm, i) => ({ bpm, ticks: i * 8 * Q })),
    timeSignatures: opts.meters ?? (opts.meter ? [{ ticks: 0, timeSignature: opts.meter }] : []),
    keySignatures: [],
  });
  for (const spec of tracks) {
    const t = m.addTrack();
    t.channel = spec.channel ?? 0;
    t.name = spec.name ?? "";
    t.instrument.number = spec.program ?? 0;
    for (const [midi, ticks, durationTicks] of spec.notes)
      t.addNote({ midi, ticks, durationTicks, velocity: 0.7 });
  }
  return m.toArray();
}

/** Raw standard MIDI file: each track is a list of [tick, ...event bytes]. */
function smf(format: number, tracks: (readonly number[])[][], ppq = Q): Uint8Array {
  const varInt = (n: number) => {
    const out = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) out.unshift((v & 0x7f) | 0x80);
    return out;
  };
  const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const bytes = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, format, 0, tracks.length, ppq >> 8, ppq & 255];
  for (const events of tracks) {
    const sorted = [...events].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    const data: number[] = [];
    let last = 0;
    for (const [tick = 0, ...ev] of sorted) {
      data.push(...varInt(tick - last), ...ev);
      last = tick;
    }
    data.push(0, 0xff, 0x2f, 0);
    bytes.push(0x4d, 0x54, 0x72, 0x6b, ...u32(data.length), ...data);
  }
  return new Uint8Array(bytes);
}

function noteEvents(channel: number, notes: readonly N[], velocity = 90): number[][] {
  return notes.flatMap(([midi, tick, dur]) => [
    [tick, 0x90 | channel, midi, velocity],
    [tick + dur, 0x80 | channel, midi, 0],
  ]);
}

/** Compact text of a tune's elements: "D4:1/8", "E4:1/4-" (tied), "z:1/4", "(3:2:3", "|". */
function show(t: Tune): string {
  return t.elements
    .map((e) => {
      switch (e.kind) {
        case "note":
          return `${pitchName(e.pitch)}:${formatRational(e.duration)}${e.tie ? "-" : ""}`;
        case "rest":
          return `z:${formatRational(e.duration)}`;
        case "tuplet":
          return `(${e.p}:${e.q}:${e.r}`;
        case "bar":
          return e.bar;
        case "ending":
          return `[${e.numbers.join(",")}`;
      }
      return "?";
    })
    .join(" ");
}

/** Notes as [midi, start, end] ticks relative to the first onset. */
function relative(notes: readonly { midi: number; startTick: number; endTick: number }[]): number[][] {
  const t0 = notes[0]?.startTick ?? 0;
  return notes.map((n) => [n.midi, n.startTick - t0, n.endTick - t0]);
}
const asSeen = (notes: readonly N[]) => notes.map(([midi, s, d]) => ({ midi, startTick: s, endTick: s + d }));

/** MIDI → Tune → MIDI, checked with both readers. */
function roundTrip(bytes: Uint8Array): { tune: Tune; notes: number[][] } {
  const tune = midiToTune(bytes);
  return { tune, notes: relative(verifyMidi(tuneToMidi(tune), performNotes(tune))) };
}

function importError(bytes: Uint8Array, options?: Parameters<typeof midiToTune>[1]): MidiImportError {
  try {
    midiToTune(bytes, options);
  } catch (e) {
    if (e instanceof MidiImportError) return e;
    throw new Error(`raw exception escaped: ${String(e)}`);
  }
  throw new Error("no error");
}

// A reel-like D major line with a pickup beat: D F# | A D'- D' c B | A3 F# E2 D2 | d8
const E = Q / 2;
const reel = line(3 * Q, [
  [62, E],
  [66, E],
  [69, Q],
  [74, 2 * Q],
  [73, E],
  [71, E],
  [69, 3 * E],
  [66, E],
  [64, Q],
  [62, Q],
  [74, 4 * Q],
]);

describe("midiToTune: melodies", () => {
  it("reads a monophonic melody into bars, with a pickup and a tie over the middle of the bar", () => {
    const tune = midiToTune(midiFile([{ notes: reel }], { meter: [4, 4], bpm: [112], name: "Reel" }));
    expect(tune.title).toBe("Reel");
    expect(tune.meter).toEqual({ num: 4, den: 4 });
    expect(tune.tempo).toEqual({ bpm: 112, beat: { n: 1, d: 4 } });
    expect(tune.unitLength).toEqual({ n: 1, d: 8 });
    expect(abcKeyName(tune.key)).toBe("D");
    expect(show(tune)).toBe(
      "D4:1/8 F#4:1/8 | A4:1/4 D5:1/4- D5:1/4 C#5:1/8 B4:1/8 | A4:3/8 F#4:1/8 E4:1/4 D4:1/4 | D5:1 |]",
    );
  });

  it("keeps a pickup exported as a short first measure (1/4 then 4/4) a pickup, and takes the meter of most bars", () => {
    const padded = show(midiToTune(midiFile([{ notes: reel }], { meter: [4, 4] })));
    const atZero = reel.map(([m, s, d]) => [m, s - 3 * Q, d] as const);
    const meters: { ticks: number; timeSignature: [number, number] }[] = [
      { ticks: 0, timeSignature: [1, 4] },
      { ticks: Q, timeSignature: [4, 4] },
    ];
    const tune = midiToTune(midiFile([{ notes: atZero }], { meters }));
    expect(tune.meter).toEqual({ num: 4, den: 4 });
    expect(show(tune)).toBe(padded);
    // Without the short measure, the same notes are barred from their first note.
    expect(show(midiToTune(midiFile([{ notes: atZero }], { meter: [4, 4] })))).not.toBe(padded);
  });

  it("keeps the melody note for note through MIDI → Tune → MIDI", () => {
    expect(roundTrip(midiFile([{ notes: reel }], { meter: [4, 4] })).notes).toEqual(relative(asSeen(reel)));
  });

  it("quantises a human performance (early/late onsets, detached notes) to the same tune", () => {
    const exact = midiToTune(midiFile([{ notes: reel }], { meter: [4, 4] }));
    const jitter = [7, -11, 4, -6, 12, -3, 9, -12, 5, -8, 2];
    const played = reel.map(([m, s, d], i) => [m, s + (jitter[i] ?? 0), Math.round(d * 0.82)] as const);
    expect(show(midiToTune(midiFile([{ notes: played }], { meter: [4, 4] })))).toBe(show(exact));
  });

  it("reads a 6/8 jig with a pickup, dotted values and a bar-crossing tie", () => {
    const jig = line(5 * E, [
      [67, E],
      [71, E],
      [74, E],
      [71, E],
      [74, 2 * E],
      [79, E],
      [78, 3 * E],
      [76, E],
      [74, E],
      [71, E],
      [69, 4 * E],
      [67, 5 * E],
    ]);
    const bytes = midiFile([{ notes: jig }], { meter: [6, 8], bpm: [180] });
    const tune = midiToTune(bytes);
    expect(tune.meter).toEqual({ num: 6, den: 8 });
    expect(abcKeyName(tune.key)).toBe("G");
    expect(show(tune)).toBe(
      "G4:1/8 | B4:1/8 D5:1/8 B4:1/8 D5:1/4 G5:1/8 | F#5:3/8 E5:1/8 D5:1/8 B4:1/8 | A4:3/8- A4:1/8 G4:1/4- | G4:3/8 |]",
    );
    expect(roundTrip(bytes).notes).toEqual(relative(asSeen(jig)));
  });

  it("reads triplets in 4/4 as (3 groups of twelfth notes and writes them back exactly", () => {
    const T = Q / 3;
    const notes = line(0, [
      [69, Q],
      [71, T],
      [72, T],
      [74, T],
      [76, Q],
      [74, T],
      [72, T],
      [71, T],
      [69, 2 * T],
      [71, T],
      [69, 3 * Q],
    ]);
    const bytes = midiFile([{ notes }], { meter: [4, 4] });
    const tune = midiToTune(bytes);
    expect(show(tune)).toBe(
      "A4:1/4 (3:2:3 B4:1/12 C5:1/12 D5:1/12 E5:1/4 (3:2:3 D5:1/12 C5:1/12 B4:1/12 | (3:2:2 A4:1/6 B4:1/12 A4:1/4- A4:1/2 |]",
    );
    expect(roundTrip(bytes).notes).toEqual(relative(asSeen(notes)));
  });

  it("never uses the triplet grid in compound metres", () => {
    const T = Q / 3;
    const notes = line(0, [
      [69, T],
      [71, T],
      [72, T],
      [74, 3 * E],
    ]);
    const tune = midiToTune(midiFile([{ notes }], { meter: [6, 8] }));
    expect(tune.elements.some((e) => e.kind === "tuplet")).toBe(false);
  });

  it("writes rests for gaps, drops leading empty bars and splits syncopations at the beat", () => {
    const notes = [
      [67, 8 * Q + Q, 2 * Q], // bar 3 beat 2, half note over the middle of the bar
      [69, 8 * Q + 3 * Q, Q],
      [71, 16 * Q + E, E], // a whole empty bar, then an off-beat eighth
    ] as const;
    expect(show(midiToTune(midiFile([{ notes }], { meter: [4, 4] })))).toBe(
      "G4:1/4- G4:1/4 A4:1/4 | z:1 | z:1/8 B4:1/8 |]",
    );
  });

  it("spells notes in the estimated key: naturals first, then sharps in sharp keys and flats in flat keys", () => {
    const dMajor = line(
      0,
      [62, 64, 66, 67, 69, 71, 73, 74, 72, 68, 69, 66, 64, 62].map((m) => [m, E] as const),
    );
    const d = midiToTune(midiFile([{ notes: [...dMajor, [62, 7 * Q, Q]] }], { meter: [4, 4] }));
    expect(abcKeyName(d.key)).toBe("D");
    expect(show(d)).toContain("D5:1/8 | C5:1/8 G#4:1/8 A4:1/8");
    const fMajor = line(
      0,
      [65, 67, 69, 70, 72, 74, 76, 77, 75, 74, 72, 70, 69, 67].map((m) => [m, E] as const),
    );
    const f = midiToTune(midiFile([{ notes: [...fMajor, [65, 7 * Q, Q]] }], { meter: [4, 4] }));
    expect(abcKeyName(f.key)).toBe("F");
    expect(show(f)).toContain("F5:1/8 | Eb5:1/8 D5:1/8");
    const bb = f.elements.find((e) => e.kind === "note" && e.pitch.step === 6);
    expect(bb).toMatchObject({ pitch: { step: 6, alter: -1, octave: 4 } });
  });

  it("takes the first tempo and ignores later tempo changes without disturbing the grid", () => {
    const notes = line(
      0,
      [60, 62, 64, 65, 67, 69, 71, 72, 74, 72, 71, 69, 67, 65, 64, 62, 60].map((m) => [m, Q] as const),
    );
    const tune = midiToTune(midiFile([{ notes }], { meter: [4, 4], bpm: [90, 140, 73] }));
    expect(tune.tempo?.bpm).toBe(90);
    expect(show(tune).split(" | ")).toHaveLength(5);
    expect(
      tune.elements.filter((e) => e.kind === "note").every((e) => e.kind === "note" && e.duration.d === 4),
    ).toBe(true);
  });

  it("reads other PPQs by ticks", () => {
    const ppq = 96;
    const notes = line(0, [
      [62, ppq / 2],
      [64, ppq / 2],
      [66, ppq],
      [67, 2 * ppq],
    ]);
    expect(show(midiToTune(midiFile([{ notes }], { meter: [4, 4], ppq })))).toBe(
      "D4:1/8 E4:1/8 F#4:1/4 G4:1/2 |]",
    );
  });

  it("defaults to 4/4, no tempo, and takes the title from the options, file, track or nothing", () => {
    const file = (name: string, track: string) => midiFile([{ notes: reel, name: track }], { name });
    const tune = midiToTune(file("", ""));
    expect(tune.meter).toEqual({ num: 4, den: 4 });
    expect(tune.title).toBe("Untitled");
    expect(midiToTune(file("Song", "Flute")).title).toBe("Song");
    expect(midiToTune(file("", "Flute")).title).toBe("Flute");
    expect(midiToTune(file("Song", "Flute"), { title: "Mine" }).title).toBe("Mine");
    expect(midiToTune(file("Bad\nName\u0000", "")).title).toBe("Bad Name");
  });
});

describe("midiToTune: choosing the melody", () => {
  const melody = line(
    0,
    [74, 76, 78, 79, 81, 79, 78, 76, 74, 73, 71, 73, 74, 78, 76, 74].map((m) => [m, E] as const),
  );

  it("finds the melody in a format-0 file with bass and drums on channel 10", () => {
    const bass = line(
      0,
      [38, 45, 38, 45, 43, 45, 38, 45].map((m) => [m, Q] as const),
    );
    const drums = line(
      0,
      Array.from({ length: 32 }, (_, i) => [i % 2 ? 42 : 36, Q / 4] as const),
    );
    const meta = [
      [0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20], // 120 bpm
      [0, 0xff, 0x58, 4, 4, 2, 24, 8],
      [0, 0xc0, 73],
      [0, 0xc1, 32],
    ];
    const bytes = smf(0, [
      [...meta, ...noteEvents(9, drums), ...noteEvents(1, bass), ...noteEvents(0, melody)],
    ]);
    const tune = midiToTune(bytes);
    expect(
      tune.elements.filter((e) => e.kind === "note").map((e) => e.kind === "note" && pitchName(e.pitch)),
    ).toEqual([
      "D5",
      "E5",
      "F#5",
      "G5",
      "A5",
      "G5",
      "F#5",
      "E5",
      "D5",
      "C#5",
      "B4",
      "C#5",
      "D5",
      "F#5",
      "E5",
      "D5",
    ]);
    expect(relative(readNotesTone(tuneToMidi(tune)).notes)).toEqual(relative(asSeen(melody)));
  });

  it("takes the top voice of a chord track, dropping inner voices under held notes", () => {
    const chords = melody.flatMap(([m, s, d]) => [
      [m, s, d] as const,
      [m - 4, s, d] as const,
      [m - 7, s, d] as const,
    ]);
    // an inner voice moving under the final held note
    const held = [
      [81, 8 * Q, 4 * Q],
      [69, 8 * Q, Q],
      [67, 9 * Q, Q],
      [66, 10 * Q, 2 * Q],
    ] as const;
    const bass = line(
      0,
      [38, 45, 38, 45].map((m) => [m, 2 * Q] as const),
    );
    const bytes = midiFile(
      [
        { notes: bass, channel: 1 },
        { notes: [...chords, ...held], channel: 0 },
      ],
      { meter: [4, 4] },
    );
    const tune = midiToTune(bytes);
    expect(relative(readNotesTone(tuneToMidi(tune)).notes)).toEqual(
      relative(asSeen([...melody, [81, 8 * Q, 4 * Q]])),
    );
  });

  it("prefers the higher, busier, monophonic part among several pitched tracks", () => {
    const bass = line(
      0,
      [38, 45, 38, 45, 43, 45, 38, 45, 38, 45, 38, 45, 43, 45, 38, 45].map((m) => [m, E] as const),
    );
    const pad = line(
      0,
      [62, 66, 69].map((m) => [m, 8 * Q] as const),
    ).map(([m]) => [m, 0, 8 * Q] as const);
    const bytes = midiFile([
      { notes: bass, channel: 1 },
      { notes: pad, channel: 2 },
      { notes: melody, channel: 3 },
    ]);
    expect(relative(readNotesTone(tuneToMidi(midiToTune(bytes))).notes)).toEqual(relative(asSeen(melody)));
  });
});

describe("midiToTune: refusing bad files", () => {
  const valid = midiFile([{ notes: reel }], { meter: [4, 4] });

  it("refuses drum-only files", () => {
    const drums = line(
      0,
      [36, 42, 38, 42].map((m) => [m, Q] as const),
    );
    expect(importError(midiFile([{ notes: drums, channel: 9 }])).code).toBe("drums-only");
    const e = importError(smf(0, [noteEvents(9, drums)]));
    expect(e.code).toBe("drums-only");
    expect(e.message).toBe("That MIDI file has only drum parts; send one with a melody.");
  });

  it("refuses files without notes", () => {
    expect(importError(midiFile([{ notes: [] }], { meter: [4, 4] })).code).toBe("empty");
    expect(importError(smf(1, [])).code).toBe("empty");
    // note-ons without note-offs are not notes either
    expect(importError(smf(0, [[[0, 0x90, 60, 80]]])).code).toBe("empty");
  });

  it("refuses things that are not MIDI", () => {
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    expect(importError(png).code).toBe("not-midi");
    expect(importError(new TextEncoder().encode("X:1\nT:Not a MIDI\nK:D\nDEF|\n")).code).toBe("not-midi");
    expect(importError(new Uint8Array()).code).toBe("not-midi");
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >> 16;
    };
    for (let i = 0; i < 20; i++) {
      const bytes = Uint8Array.from({ length: 200 + i * 37 }, () => random() & 255);
      expect(importError(bytes).code).toBe("not-midi");
    }
  });

  it("refuses truncated files as corrupt, at every cut", () => {
    const started = performance.now();
    for (let cut = 14; cut < valid.length; cut += 3) {
      expect(importError(valid.slice(0, cut)).code, `cut at ${cut}`).toBe("corrupt");
    }
    expect(importError(valid.slice(0, 10)).code).toBe("not-midi");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("never lets a raw exception escape from random data behind a valid header", () => {
    let seed = 99;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >> 16;
    };
    for (let i = 0; i < 300; i++) {
      const body = Array.from({ length: 10 + (i % 50) }, () => random() & 255);
      // mostly plausible events: small deltas, note and meta status bytes
      const track = body.map((b, j) =>
        j % 4 === 0 ? b & 0x0f : j % 4 === 1 ? ([0x90, 0x80, 0xff, 0xc0][b & 3] ?? 0) : b & 0x7f,
      );
      const bytes = smf(i % 3, [[]]);
      const full = new Uint8Array([...bytes.slice(0, 18), 0, 0, 0, track.length, ...track]);
      try {
        midiToTune(full);
      } catch (e) {
        expect(e).toBeInstanceOf(MidiImportError);
      }
    }
  });

  it("refuses a header declaring 65535 tracks quickly", () => {
    const header = new Uint8Array([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0xff, 0xff, 0x01, 0xe0]);
    const e = importError(new Uint8Array([...header, ...valid.slice(14)]));
    expect(e.code).toBe("too-large");
    expect(e.message).toContain("65535 tracks");
  });

  it("refuses files over the size limit and tunes over the note limit", () => {
    expect(importError(valid, { maxBytes: 100 }).code).toBe("too-large");
    expect(importError(valid, { maxNotes: 5 }).code).toBe("too-long");
    expect(midiToTune(valid, { maxNotes: 11 }).elements.filter((e) => e.kind === "note")).toHaveLength(12);
  });

  it("refuses tunes lasting over an hour, and absurd tempos that would make too many bars", () => {
    const farApart = [
      [60, 0, Q],
      [62, 2 * 60 * 120 * Q, Q],
    ] as const; // two hours at 120 bpm
    expect(importError(midiFile([{ notes: farApart }])).code).toBe("too-long");
    const fast = [
      [60, 0, Q],
      [62, 20_000 * Q, Q],
    ] as const;
    expect(importError(midiFile([{ notes: fast }], { bpm: [100_000] })).code).toBe("too-long");
  });

  it("refuses SMPTE-timed files as unsupported", () => {
    const bytes = valid.slice();
    bytes[12] = 0xe7; // -25 fps
    bytes[13] = 40;
    expect(importError(bytes).code).toBe("unsupported");
  });
});
