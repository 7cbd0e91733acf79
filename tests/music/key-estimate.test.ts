import { describe, expect, it } from "vitest";
import { abcKeyName, modeScale } from "../../src/music/key.js";
import { estimateKey, modeProfile, spellTonic } from "../../src/music/key-estimate.js";

const PCS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** "A4:2 F#5 Bb3" → notes with durations in eighths (default 1); bar lines "|" ignored. */
function melody(text: string): { midi: number; duration: number }[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== "|")
    .map((tok) => {
      const m = /^([A-G])(#|b)?(\d)(?::(\d+))?$/.exec(tok);
      if (!m) throw new Error(`bad note ${tok}`);
      const alter = m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0;
      return {
        midi: 12 * (Number(m[3]) + 1) + (PCS[m[1] as string] ?? 0) + alter,
        duration: Number(m[4] ?? 1),
      };
    });
}

function estimate(text: string): string {
  const notes = melody(text);
  return abcKeyName(
    estimateKey(notes, { finalMidi: notes[notes.length - 1]?.midi, firstDownbeatMidi: notes[0]?.midi }),
  );
}

describe("estimateKey", () => {
  it("finds D major", () => {
    expect(
      estimate(
        "D4 F#4 A4 D5 C#5 B4 A4 F#4 | G4 B4 E5 G4 F#4 A4 D5 F#4 | E4 G4 C#5 E4 D4 F#4 A4 D5 | C#5 A4 E4 C#4 D4:4",
      ),
    ).toBe("D");
  });

  it("finds E minor", () => {
    expect(
      estimate(
        "E4:2 B4 E4 G4 E4 B4 E4 | D4:2 A4 D4 F#4 D4 A4 D4 | E4 G4 B4 E5 D5 B4 A4 F#4 | G4 E4 F#4 D#4 E4:4",
      ),
    ).toBe("Em");
  });

  it("finds A dorian (F# and G natural, ending on A), not G major or A minor", () => {
    expect(
      estimate(
        "A4:2 E4 A4 B4 A4 G4 E4 | A4:2 E4 A4 B4:2 C5 D5 | E5 F#5 G5 E5 D5 B4 G4 B4 | A4 B4 G4 E4 A4:4",
      ),
    ).toBe("ADor");
  });

  it("finds D mixolydian (C natural, ending on D), not G major", () => {
    expect(
      estimate(
        "D4:2 F#4 A4 D5 A4 F#4 A4 | C5:2 E5 C5 G4 E4 C4 E4 | D4:2 F#4 A4 D5 E5 F#5 D5 | C5 A4 G4 E4 D4:4",
      ),
    ).toBe("DMix");
  });

  it("weights notes by duration", () => {
    // same notes; long Cs and Gs make C major, long As and Es make A minor
    expect(abcKeyName(estimateKey(melody("C4:8 E4 G4:8 A4 B4 D4 F4")))).toBe("C");
    expect(abcKeyName(estimateKey(melody("C4 E4:8 G4 A4:8 B4 D4 F4")))).toBe("Am");
  });

  it("returns C major when there is nothing to go on", () => {
    expect(estimateKey([])).toEqual({ tonic: { step: 0, alter: 0 }, mode: "major" });
  });
});

describe("modeProfile", () => {
  it("stresses each mode's own tonic and fifth rather than rotating one profile", () => {
    const major = modeProfile("major");
    const dorian = modeProfile("dorian");
    expect(major[0]).toBeGreaterThan(major[2] ?? 0);
    expect(dorian[0]).toBe(major[0]);
    expect(dorian[7]).toBe(major[7]);
    // G major rotated to start on A is not A dorian: A dorian weighs A and E most
    const gMajorFromA = Array.from({ length: 12 }, (_, i) => major[(i + 2) % 12]);
    expect(gMajorFromA).not.toEqual(dorian);
    expect(modeScale("dorian").every((s) => (dorian[s] ?? 0) > (dorian[1] ?? 0))).toBe(true);
  });
});

describe("spellTonic", () => {
  it("spells tonics with the fewest accidentals", () => {
    expect(abcKeyName({ tonic: spellTonic(1, "major"), mode: "major" })).toBe("Db");
    expect(abcKeyName({ tonic: spellTonic(6, "major"), mode: "major" })).toBe("F#");
    expect(abcKeyName({ tonic: spellTonic(8, "minor"), mode: "minor" })).toBe("G#m");
    expect(abcKeyName({ tonic: spellTonic(10, "mixolydian"), mode: "mixolydian" })).toBe("BbMix");
    expect(abcKeyName({ tonic: spellTonic(3, "dorian"), mode: "dorian" })).toBe("EbDor");
  });
});
