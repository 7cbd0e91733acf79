import { Midi } from "@tonejs/midi";
import { describe, expect, it } from "vitest";
import { importTune } from "../../src/music/import.js";
import { MusicError } from "../../src/music/music-errors.js";
import { midiOf } from "../../src/music/pitch.js";

/** Small deterministic PRNG so failures reproduce. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = (s: string) => new TextEncoder().encode(s);

function codeOf(bytes: Uint8Array, limits = {}): string {
  try {
    importTune(bytes, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(MusicError);
    return (error as MusicError).code;
  }
  return "ok";
}

function simpleMidi(): Uint8Array {
  const midi = new Midi();
  const track = midi.addTrack();
  [60, 62, 64, 65, 67].forEach((m, i) => {
    track.addNote({ midi: m, ticks: i * 480, durationTicks: 480, velocity: 0.8 });
  });
  return midi.toArray();
}

describe("importing uploads", () => {
  it("recognises MIDI and ABC by content, whatever the file is called", () => {
    expect(importTune(simpleMidi()).tune.elements.filter((e) => e.kind === "note")).toHaveLength(5);
    const abc = importTune(text("\uFEFFX:1\nT:Upload\nM:3/4\nK:G\nGAB|]\n")).tune;
    expect(abc.title).toBe("Upload");
    expect(abc.elements.flatMap((e) => (e.kind === "note" ? [midiOf(e.pitch)] : []))).toEqual([67, 69, 71]);
  });

  it("tells what reading left out: other voices, chords; nothing for MIDI", () => {
    const abc = "X:1\nT:Duet\nM:3/4\nK:G\nV:1\nG[Bd]d|\nV:2\nG,3|\n";
    expect(importTune(text(abc)).notes).toEqual([
      "chords reduced to their top note",
      "kept the first voice (V:1) and left out the others",
    ]);
    expect(importTune(simpleMidi()).notes).toEqual([]);
  });

  it("reads ABC saved as Latin-1 (Windows-1252), as older collections are", () => {
    const latin1 = Buffer.from("X:1\nT:R\xedl Mh\xf3r\nM:3/4\nK:G\nGAB|]\n", "latin1");
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(latin1)).toThrow();
    expect(importTune(latin1).tune.title).toBe("R\u00edl Mh\u00f3r");
  });

  it("reads ABC saved as UTF-16 with a byte order mark", () => {
    const abc = "X:1\nT:R\u00edl\nM:3/4\nK:G\nGAB|]\n";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(abc, "utf16le")]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [le, be]) expect(importTune(bytes).tune.title).toBe("R\u00edl");
  });

  it("refuses oversized files before parsing them", () => {
    expect(codeOf(new Uint8Array(10 * 1024 * 1024).fill(65))).toBe("too-large");
    expect(codeOf(text("X:1\nK:C\nCDEF|]"), { maxBytes: 8 })).toBe("too-large");
  });

  it("gives a typed error for a PNG, random bytes, empty files and tuneless text", () => {
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    expect(codeOf(png)).toBe("not-a-tune");
    expect(codeOf(new Uint8Array())).toBe("empty");
    expect(codeOf(text("X:1\nT:Nothing here\nM:4/4\nK:D\n"))).toBe("no-notes");
    expect(codeOf(text("hello, this is not a tune"))).toBe("no-tune");
    const random = mulberry32(42);
    for (let i = 0; i < 200; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 2000) }, () =>
        Math.floor(random() * 256),
      );
      expect(codeOf(bytes)).not.toBe("ok");
    }
  });

  it("gives a typed error for every truncation of a MIDI file", () => {
    const whole = simpleMidi();
    for (let cut = 4; cut < whole.length; cut++) expect(codeOf(whole.slice(0, cut))).not.toBe("ok");
  });

  it("survives 10 MB of text that looks like ABC", () => {
    const big = text(`X:1\nM:4/4\nL:1/8\nK:C\n${"CDEF GABc|".repeat(1_000_000)}`);
    expect(codeOf(big, { maxBytes: 20 * 1024 * 1024 })).toBe("too-large");
  });

  it("survives random printable text with ABC symbols in it", () => {
    const random = mulberry32(7);
    const alphabet = "ABCDEFGabcdefgz^_=,'/|:[]()<>-{}\"!.~0123456789 \nKMLXT%\\&+";
    for (let i = 0; i < 300; i++) {
      const body = Array.from({ length: 200 }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        "",
      );
      const code = codeOf(text(`X:1\nM:6/8\nK:D\n${body}`));
      expect(typeof code).toBe("string");
    }
  });
});
