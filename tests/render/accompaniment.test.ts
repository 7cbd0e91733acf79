import toneMidi from "@tonejs/midi";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { accompanimentPattern, performAccompaniment, performBodhran } from "../../src/music/accompaniment.js";
import { verifyMidi } from "../../src/music/midi-verify.js";
import {
  ACCOMPANIMENT_CHANNEL,
  PERCUSSION_CHANNEL,
  performedMidiNotes,
  tuneToMidi,
} from "../../src/music/midi-write.js";
import { rat, toNumber } from "../../src/music/rational.js";
import { withoutChords } from "../../src/music/tune.js";
import { presetFor, soundFontReady } from "../../src/render/audio/soundfont.js";
import { parseMidi, synthesizeMidi } from "../../src/render/audio/synth.js";
import { renderAudioPreview } from "../../src/render/audio.js";
import { ACCOMPANIMENTS, INSTRUMENTS } from "../../src/render/instruments.js";

const reel = parseAbc(
  'X:1\nT:Backing Reel\nM:2/2\nL:1/8\nQ:1/2=100\nK:D\n|:A2|"D"d2fd A2FA|"G"B2dB "D"A2FA|"Em"G2BG "A7"E2CE|"D"D2FA d2A2:|\n|:"D"a2fd "G"g2ec|"D"d2AF "A7"E2CE|"D"D2FA "G"B2GB|"A7"A2ce "D"d2:|\n',
);
const jig = parseAbc('X:1\nT:Backing Jig\nM:6/8\nL:1/8\nK:G\n"G"G2B d2B|"C"c2e "D7"d2B|"G"G3 G3|]\n');
const waltz = parseAbc('X:1\nT:Backing Waltz\nM:3/4\nL:1/4\nK:Am\n"Am"A2 c|"E7"B2 ^G|"Am"A3|]\n');

const melodyOptions = { program: INSTRUMENTS.fiddle.program };
const fullOptions = { ...melodyOptions, accompaniment: ACCOMPANIMENTS.guitar };

describe("the accompaniment", () => {
  it("plays the style's pattern: bass–chord per quarter in a reel, bass–chord–chord in a jig, oom-pah-pah in a waltz", () => {
    const roles = (m: { num: number; den: number }) =>
      accompanimentPattern(m)
        .map((s) => (s.bass ? "B" : "c"))
        .join("");
    expect(roles({ num: 2, den: 2 })).toBe("BcBc");
    expect(roles({ num: 4, den: 4 })).toBe("BcBc");
    expect(roles({ num: 6, den: 8 })).toBe("BccBcc");
    expect(roles({ num: 3, den: 4 })).toBe("Bcc");
    expect(roles({ num: 2, den: 4 })).toBe("BcBc");
    // The jig's first bar: G in the bass, then the G chord twice, per dotted quarter.
    const bar = performAccompaniment(jig).filter((n) => toNumber(n.start) < 3 / 8);
    const starts = [...new Set(bar.map((n) => toNumber(n.start)))];
    expect(starts).toEqual([0, 1 / 8, 2 / 8]);
    const bass = bar.filter((n) => n.midi < 55);
    expect(bass.map((n) => n.midi % 12)).toEqual([7]);
    const chord = bar.filter((n) => n.midi >= 55).map((n) => n.midi % 12);
    expect(new Set(chord)).toEqual(new Set([7, 11, 2]));
  });

  it("follows the chords, bass root then fifth, and the repeats", () => {
    const notes = performAccompaniment(waltz);
    const bassOf = (bar: number) => notes.find((n) => n.midi < 55 && toNumber(n.start) === bar * 0.75)?.midi;
    expect([bassOf(0), bassOf(1), bassOf(2)].map((m) => (m ?? -1) % 12)).toEqual([9, 4, 9]);
    // The reel's parts are repeated: 2 × 4 bars each, 16 bars of backing (the pickup alone).
    const reelNotes = performAccompaniment(reel);
    const bars = new Set(reelNotes.map((n) => Math.floor(toNumber(n.start) + 1e-9)));
    expect(bars.size).toBe(16);
    // The alternating bass: the second bass stroke of the first bar is A, the D chord's fifth.
    const firstBass = reelNotes
      .filter((n) => n.midi < 55)
      .slice(0, 2)
      .map((n) => n.midi % 12);
    expect(firstBass).toEqual([2, 9]);
  });

  it("has a track of its own, on its own channel and GM program, checked note for note", () => {
    const bytes = tuneToMidi(reel, fullOptions);
    verifyMidi(bytes, performedMidiNotes(reel, fullOptions));
    const midi = new toneMidi.Midi(bytes);
    const tracks = midi.tracks.filter((t) => t.notes.length > 0);
    expect(tracks.map((t) => [t.channel, t.instrument.number])).toEqual([
      [0, INSTRUMENTS.fiddle.program],
      [ACCOMPANIMENT_CHANNEL, ACCOMPANIMENTS.guitar.program],
    ]);
    // Without chords (or without the option) the file is the melody alone.
    expect(
      new toneMidi.Midi(tuneToMidi(withoutChords(reel), fullOptions)).tracks.filter(
        (t) => t.notes.length > 0,
      ),
    ).toHaveLength(1);
    expect(
      new toneMidi.Midi(tuneToMidi(reel, melodyOptions)).tracks.filter((t) => t.notes.length > 0),
    ).toHaveLength(1);
  });

  it("adds a bodhrán on the percussion channel when asked: a stroke per eighth, the beat's open and louder", () => {
    const options = { ...melodyOptions, bodhran: true };
    const bytes = tuneToMidi(jig, options);
    verifyMidi(bytes, performedMidiNotes(jig, options));
    const drum = new toneMidi.Midi(bytes).tracks.find((t) => t.channel === PERCUSSION_CHANNEL);
    expect(drum?.notes.slice(0, 6).map((n) => n.midi)).toEqual([41, 45, 45, 41, 45, 45]);
    const strokes = performBodhran(jig);
    expect(strokes).toHaveLength(3 * 6);
    expect((strokes[0]?.velocity ?? 0) - (strokes[1]?.velocity ?? 0)).toBeGreaterThan(10);
    // The reel's pickup (a quarter note before the first bar) is left to the melody.
    expect(toNumber(performBodhran(reel)[0]?.start ?? rat(-1))).toBe(0.25);
    expect(
      new toneMidi.Midi(tuneToMidi(jig, melodyOptions)).tracks.some((t) => t.channel === PERCUSSION_CHANNEL),
    ).toBe(false);
  });

  describe("in the audio", () => {
    beforeAll(() => soundFontReady());
    const rms = (bytes: Uint8Array) => {
      const { pcm } = synthesizeMidi(parseMidi(bytes), {
        sampleRate: 24_000,
        maxSeconds: 60,
        ringSeconds: 0.5,
      });
      return Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
    };
    /** The full file with one of its tracks' notes removed: each track synthesised alone, before mixing. */
    const only = (keep: number) => {
      const midi = new toneMidi.Midi(tuneToMidi(reel, fullOptions));
      midi.tracks.forEach((t) => {
        if (t.channel !== keep) t.notes.splice(0);
      });
      return midi.toArray();
    };

    it("plays the bodhrán from the SoundFont's drum kit", async () => {
      const preview = await renderAudioPreview(tuneToMidi(jig, { ...fullOptions, bodhran: true }));
      expect(preview.presets.get(0)).toBe(presetFor(INSTRUMENTS.fiddle.program)?.name);
      expect(preview.presets.get(PERCUSSION_CHANNEL)).toMatch(/standard/i);
    });

    it("is present and quieter than the melody (RMS per track before mixing)", () => {
      const melody = rms(only(0));
      const backing = rms(only(ACCOMPANIMENT_CHANNEL));
      expect(backing).toBeGreaterThan(0.1 * melody);
      expect(20 * Math.log10(backing / melody)).toBeLessThan(-3);
    });
  });
});
