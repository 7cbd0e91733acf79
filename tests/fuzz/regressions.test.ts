import toneMidi from "@tonejs/midi";
import { describe, expect, it } from "vitest";
import { ABC_LIMITS, parseAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { checkBars } from "../../src/music/bar-check.js";
import { importTune } from "../../src/music/import.js";
import { midiToTune } from "../../src/music/midi-read.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { AbcParseError, MidiImportError, MusicError } from "../../src/music/music-errors.js";
import { midiOf, transposePitch } from "../../src/music/pitch.js";
import { tokensToTune, tuneToTokens } from "../../src/music/tokens.js";
import type { Tune } from "../../src/music/tune.js";
import { header, track, vlq } from "./generators.js";
import { tuneProblem } from "./invariants.js";

/** One test per class of bug the fuzzer found in the readers. */

const abc = (body: string, head = "M:4/4\nL:1/8\nK:C") => `X:1\nT:Regression\n${head}\n${body}\n`;

function abcCode(text: string, options = {}): string {
  try {
    parseAbc(text, options);
  } catch (e) {
    expect(e).toBeInstanceOf(AbcParseError);
    return (e as AbcParseError).code;
  }
  return "ok";
}

/** A hang detector, not a benchmark: generous next to the milliseconds these take. */
function withinBound<T>(f: () => T): T {
  const started = performance.now();
  const result = f();
  expect(performance.now() - started).toBeLessThan(2000);
  return result;
}

function midiFile(notes: readonly [midi: number, ticks: number, duration: number][]): Uint8Array {
  const m = new toneMidi.Midi();
  const t = m.addTrack();
  for (const [midi, ticks, durationTicks] of notes) t.addNote({ midi, ticks, durationTicks, velocity: 0.7 });
  return m.toArray();
}

const scale = (from: number) =>
  Array.from({ length: 8 }, (_, i) => [from + i, i * 240, 240] as [number, number, number]);

describe("reader bugs found by fuzzing", () => {
  it("numbers too long for a double in L: and Q: end in a typed error or an ignored tempo", () => {
    // Hundreds of digits parse as Infinity, which used to escape as a RangeError.
    expect(abcCode(abc("C|]", `L:1/${"9".repeat(400)}\nK:C`))).toBe("bad-unit-length");
    expect(abcCode(abc("C|]", `L:${"9".repeat(400)}\nK:C`))).toBe("bad-unit-length");
    expect(parseAbc(abc("C|]", `Q:${"9".repeat(400)}\nK:C`)).tempo).toBeUndefined();
    expect(parseAbc(abc("C|]", `Q:${"9".repeat(400)}/4=100\nK:C`)).tempo).toBeUndefined();
    expect(parseAbc(abc("C|]", "Q:1000001/4=100\nK:C")).tempo).toBeUndefined();
  });

  it("refuses notes outside MIDI's range and reads the lowest ones our MIDI reader writes", () => {
    expect(abcCode(abc("b''''|]"))).toBe("unexpected-symbol"); // B9 = 131
    expect(abcCode(abc("^^g''''|]"))).toBe("unexpected-symbol"); // 129
    expect(abcCode(abc("__C,,,,,|]"))).toBe("unexpected-symbol"); // -2
    expect(
      parseAbc(abc("C,,,,, g''''|]")).elements.flatMap((e) => (e.kind === "note" ? [midiOf(e.pitch)] : [])),
    ).toEqual([0, 127]);
    for (const from of [0, 120]) {
      const tune = midiToTune(midiFile(scale(from)));
      expect(tuneProblem(tune)).toBeUndefined();
    }
  });

  it("keeps only tempos a MIDI file can hold, and reads the writer's Q:1=… back", () => {
    expect(parseAbc(abc("C|]", "Q:1/64=1\nK:C")).tempo).toBeUndefined(); // 1/16 quarter a minute
    expect(parseAbc(abc("C|]", "Q:1/1=1000\nK:C")).tempo).toBeUndefined(); // 4000 quarters
    const whole = parseAbc(abc("C|]", "Q:1/1=200\nK:C"));
    expect(tuneToAbc(whole)).toContain("Q:1=200");
    expect(parseAbc(tuneToAbc(whole)).tempo).toEqual(whole.tempo);
    // MIDI's extremes: 0 µs a quarter (infinitely fast) and 2^24 - 1 (3.6 bpm).
    for (const [microseconds, bpm] of [
      [0, undefined],
      [0xffffff, 4],
    ] as const) {
      const tempo = [0, 0xff, 0x51, 3, microseconds >> 16, (microseconds >> 8) & 0xff, microseconds & 0xff];
      const notes = [0, 0x90, 60, 90, ...vlq(480), 0x80, 60, 0];
      const tune = midiToTune(Uint8Array.from([...header(0, 1, 480), ...track([...tempo, ...notes])]));
      expect(tune.tempo?.bpm).toBe(bpm);
      expect(() => tuneToMidi(tune)).not.toThrow();
    }
  });

  it("refuses durations off the 1/512 grid, so sums of durations cannot overflow", () => {
    // Before: accepted, then the bar check and the MIDI writer threw RationalOverflowError.
    expect(abcCode(abc("C/251 D/241 E/239 F/233 G/229 A/227|]"))).toBe("bad-duration");
    expect(abcCode(abc("C|]", "L:1/61\nK:C"))).toBe("bad-duration");
    expect(abcCode(abc("C/999999|]"))).toBe("bad-duration");
    expect(abcCode(abc("C999999|]"))).toBe("bad-duration");
    expect(abcCode(abc("C//// > D|]", "L:1/64\nK:C"))).toBe("bad-duration");
    const fine = parseAbc(abc("(3C/D/E/ (5:4:5CDEFG (7:4:7CDEFGAB C///|]", "L:1/64\nK:C"));
    expect(() => checkBars(fine)).not.toThrow();
    expect(tuneProblem(fine)).toBeUndefined();
  });

  it("bounds the elements, bars, text and length of a tune, whatever expands into them", () => {
    // Z64 is 127 elements in three characters: 1 MB of it used to take seconds and 600 MB.
    const rests = withinBound(() => abcCode(abc("Z64".repeat(300_000)), { maxChars: 2 ** 21 }));
    expect(rests).toBe("too-large");
    const bars = withinBound(() => abcCode(abc("z|".repeat(100_000))));
    expect(bars).toBe("too-large");
    expect(() => parseAbc(abc("C|".repeat(10)), { maxBars: 4 })).toThrow(/more than 4 bars/);
    expect(() => parseAbc(abc("z".repeat(100)), { maxElements: 50 })).toThrow(/more than 50 notes, rests/);
    expect(() => parseAbc(abc("C8|".repeat(100)), { maxWholes: 99 })).toThrow(/more than 99 whole notes/);
    const long = abc("C".repeat(ABC_LIMITS.maxChars));
    expect(withinBound(() => abcCode(long))).toBe("too-large");
    expect(() => importTune(new TextEncoder().encode(abc("C|".repeat(20))), { maxBars: 10 })).toThrow(
      MusicError,
    );
  });

  it("reads and checks thousands of meter changes and ignored symbols in linear time", () => {
    const changes = (n: number) => abc("[M:3/4]C6|[M:2/4]C4|".repeat(n));
    const tune = withinBound(() => parseAbc(changes(2_400)));
    expect(tune.elements.filter((e) => e.kind === "meter")).toHaveLength(4_799);
    expect(withinBound(() => checkBars(tune)).ok).toBe(true);
    // Every consumer, the MIDI writer included (whose own encoder is slow on thousands of events).
    expect(withinBound(() => tuneProblem(parseAbc(changes(200))))).toBeUndefined();
    expect(withinBound(() => abcCode(abc("#k;".repeat(300_000))))).toBe("no-notes");
  });

  it("writes a double flat moved to a sharp key as a note the tokens and ABC can hold", () => {
    // E double flat in F# major, moved to C for the tokens, needed a triple flat.
    const tune = parseAbc(abc("__E2 ^^F2|]", "M:4/4\nL:1/8\nK:F#"));
    const tokens = tuneToTokens(tune);
    expect(tokens.some((t) => /^(\^\^\^|___)/.test(t))).toBe(false);
    const back = tokensToTune(tokens, { tonic: tune.key.tonic });
    const sounds = (t: Tune) => t.elements.flatMap((e) => (e.kind === "note" ? [midiOf(e.pitch)] : []));
    expect(sounds(back)).toEqual(sounds(tune));
    const moved = transposePitch({ step: 2, octave: 4, alter: -2 }, { steps: -3, semitones: -6 });
    expect(moved).toEqual({ step: 5, octave: 3, alter: -1 });
    expect(tuneProblem(tune)).toBeUndefined();
  });

  it("holds a chord's length (its notes' times its own) to the longest note the writer can write back", () => {
    expect(abcCode(abc("[A8G]8|", "M:9/8\nL:1/2\nK:A"))).toBe("bad-duration");
    expect(abcCode(abc("[z8]8|", "M:9/8\nL:1/2\nK:A"))).toBe("bad-duration");
    // A bar's rest (Z, X) in a huge meter is rested in pieces the writer can write back.
    for (const rest of ["Z", "X", "Z2"])
      expect(tuneProblem(parseAbc(abc(`C|${rest}|]`, "M:93/4\nL:1/4\nK:C")))).toBeUndefined();
    // So is a note lengthened by a broken rhythm, even with no note after it.
    expect(abcCode(abc("C>3/|]", "M:5/4\nL:64/1\nK:C"))).toBe("bad-duration");
    expect(abcCode(abc("C>D|]", "M:5/4\nL:16/1\nK:C"))).toBe("bad-duration");
    const longest = parseAbc(abc("[A8G]4|", "M:4/4\nL:1/2\nK:A"));
    expect(tuneProblem(longest)).toBeUndefined();
  });

  it("reads back the longest ending list the writer makes", () => {
    const tune = parseAbc(abc("|: C4 D4 |[1-9 E8 :|"));
    expect(tuneToAbc(tune)).toContain("[1,2,3,4,5,6,7,8,9");
    expect(parseAbc(tuneToAbc(tune)).elements).toEqual(tune.elements);
  });

  it("refuses MIDI whose note pairing would take seconds, before parsing it", () => {
    // Note-ons never ended, among 250 000 stray note-offs: @tonejs/midi took over 5 s.
    const events: number[] = [];
    for (let i = 0; i < 10_000; i++) events.push(0, 0x90, 60, 90);
    for (let i = 0; i < 250_000; i++) events.push(1, 0x80, 61, 0);
    const bytes = Uint8Array.from([...header(0, 1, 480), ...track(events)]);
    const error = withinBound(() => {
      try {
        midiToTune(bytes, { maxBytes: 2 ** 21 });
      } catch (e) {
        return e;
      }
    });
    expect(error).toBeInstanceOf(MidiImportError);
    expect((error as MidiImportError).code).toBe("too-long");
    // Real music pairs at once: thousands of notes, with chords, still read.
    const chords = Array.from(
      { length: 4000 },
      (_, i) => [48 + (i % 3) * 4, Math.floor(i / 3) * 120, 120] as [number, number, number],
    );
    expect(midiToTune(midiFile(chords)).elements.length).toBeGreaterThan(1000);
  });

  it("bounds the bars a MIDI file may become, before writing them", () => {
    const far = midiFile([
      [60, 0, 480],
      [62, 480 * 4 * 100, 480],
    ]);
    expect(midiToTune(far).elements.filter((e) => e.kind === "bar").length).toBeGreaterThan(99);
    expect(() => midiToTune(far, { maxBars: 50 })).toThrow(/over 50 bars/);
  });
});
