import { type Pitch, stepOf } from "../../src/music/pitch.js";
import { type Rational, rat } from "../../src/music/rational.js";
import type { BarType, NoteElement, TuneElement } from "../../src/music/tune.js";

/** "A4", "F#5", "Bb3" */
export function pitch(name: string): Pitch {
  const m = /^([A-G])(#|b)?(-?\d)$/.exec(name);
  if (!m) throw new Error(`bad pitch ${name}`);
  return {
    step: stepOf(m[1] as string),
    alter: m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0,
    octave: Number(m[3]),
  };
}

/**
 * Tiny score language for tests that must not depend on the ABC reader: "A4" (one unit),
 * "A4:2" (two units), "A4:2/3" (two thirds of a unit), "A4-" (tied), "z:2" (rest), "(3",
 * bar tokens "|", "|:", ":|", "::", "||", "|]", endings "[1", "[1,2".
 */
export function els(text: string, unit: Rational = rat(1, 8)): TuneElement[] {
  return text
    .trim()
    .split(/\s+/)
    .map((tok): TuneElement => {
      if (/^(\||\|:|:\||::|\|\||\|\])$/.test(tok)) return { kind: "bar", bar: tok as BarType };
      if (tok.startsWith("[")) return { kind: "ending", numbers: tok.slice(1).split(",").map(Number) };
      if (tok === "(3") return { kind: "tuplet", p: 3, q: 2, r: 3 };
      const m = /^([^:-]+)(?::(\d+)(?:\/(\d+))?)?(-)?$/.exec(tok);
      if (!m) throw new Error(`bad token ${tok}`);
      const duration = rat(unit.n * Number(m[2] ?? 1), unit.d * Number(m[3] ?? 1));
      if (m[1] === "z") return { kind: "rest", duration };
      const note: NoteElement = { kind: "note", pitch: pitch(m[1] as string), duration };
      return m[4] ? { ...note, tie: true } : note;
    });
}
