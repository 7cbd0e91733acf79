import { type ChordSymbol, formatChordSymbol, sameChord } from "../chord.js";
import { isSectionBoundary, type Tune } from "../tune.js";

/**
 * The chords of a tune as a guitarist's chart: one line per part (a part ends at a
 * double bar or a repeat), the chords of each bar between bar lines, e.g.
 * `|: D | G D | Em A7 | D :|`.
 */
export function chordChart(tune: Tune): string[] {
  const parts: string[] = [];
  let part = "";
  let bar: string[] = [];
  let last: ChordSymbol | undefined;
  let sounded = false;
  for (const e of tune.elements) {
    if ((e.kind === "note" || e.kind === "rest") && e.chord) {
      if (bar.length === 0 || !sameChord(e.chord, last)) bar.push(formatChordSymbol(e.chord));
      last = e.chord;
      sounded = true;
    } else if (e.kind === "note" || e.kind === "rest") {
      sounded = true;
    } else if (e.kind === "ending") {
      part += ` [${e.numbers.join(",")}`;
    } else if (e.kind === "bar") {
      // A pickup without chords is left out; a bar without a chord of its own goes on with the last one ("%").
      const leadIn = bar.length === 0 && !/[A-G%]/.test(part);
      if (sounded && !leadIn) part += ` ${bar.length > 0 ? bar.join(" ") : "%"}`;
      if (!leadIn || e.bar !== "|") part += ` ${e.bar}`;
      bar = [];
      sounded = false;
      if (isSectionBoundary(e.bar) && e.bar !== "|:") {
        parts.push(part.trim());
        part = "";
      }
    }
  }
  if (sounded) part += ` ${bar.length > 0 ? bar.join(" ") : "%"} |`;
  if (part.trim() !== "") parts.push(part.trim());
  return parts.filter((p) => /[A-G%]/.test(p));
}
