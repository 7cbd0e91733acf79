import { tuneToAbc } from "../music/abc-write.js";
import { add, cmp, isZero, type Rational, ZERO } from "../music/rational.js";
import { meterLength, type Tune } from "../music/tune.js";

/**
 * Line breaks for the score image. abcjs cannot squeeze a line below its natural width
 * (note heads, accidentals, bar lines and volta numbers all need their room); a line that
 * does not fit widens the whole score, which shrinks everything in the fixed-width PNG.
 * So lines hold whole phrases where the notes allow, and fewer bars where they are busy.
 */

/** Notes that fit on one line of eight bars, and of four bars, at the score's staff width. */
const SPARSE_LINE_NOTES = 26;
const BUSY_LINE_NOTES = 48;

/**
 * Four bars a line keeps folk tunes' 4- and 8-bar phrases one or two lines each. Only
 * sparse bars (slow airs, waltzes in quarters) fit eight on a line, and only
 * sixteenth-note-busy ones need to drop to two.
 */
export function barsPerLineFor(tune: Tune): number {
  const perBar = notesPerBar(tune);
  if (busiestRun(perBar, 8) <= SPARSE_LINE_NOTES) return 8;
  if (busiestRun(perBar, 4) <= BUSY_LINE_NOTES) return 4;
  return 2;
}

/** Notes and rests in each written bar that has any. */
function notesPerBar(tune: Tune): number[] {
  const counts: number[] = [];
  let current = 0;
  for (const e of tune.elements) {
    if (e.kind === "note" || e.kind === "rest") current++;
    if (e.kind === "bar" && current > 0) {
      counts.push(current);
      current = 0;
    }
  }
  if (current > 0) counts.push(current);
  return counts;
}

/** The most notes in any `length` consecutive bars (a single busy line widens the score). */
function busiestRun(counts: readonly number[], length: number): number {
  let most = 0;
  for (let start = 0; start === 0 || start + length <= counts.length; start++) {
    most = Math.max(most, sumOf(counts.slice(start, start + length)));
  }
  return most;
}

function sumOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * The tune's ABC with our own line breaks: every line holds `barsPerLine` full bars, not
 * counting a pickup, and a line never ends just before a first or second ending, so a
 * section with voltas keeps them on its last line (as printed folk music does).
 */
export function scoreAbc(tune: Tune, barsPerLine: number): string {
  const oneLine = tuneToAbc(tune, { barsPerLine: Number.MAX_SAFE_INTEGER });
  const bodyStart = oneLine.search(/^K:.*$/m);
  const keyLineEnd = oneLine.indexOf("\n", bodyStart) + 1;
  const header = oneLine.slice(0, keyLineEnd);
  const body = oneLine.slice(keyLineEnd).trim();
  // tuneToAbc writes every bar line after a space (or at the very start); nothing else in a body
  // looks like that (a tuplet's colons follow its "(p").
  const barTokens = [...body.matchAll(/(?:^| )(\|\]|\|\||\|:|:\||::|\|)/g)];
  const breaks = lineBreakBars(tune, barsPerLine);
  if (barTokens.length !== tune.elements.filter((e) => e.kind === "bar").length) {
    return tuneToAbc(tune, { barsPerLine }); // the writer's format changed: keep its own breaks
  }
  let lines = "";
  let from = 0;
  barTokens.forEach((token, ordinal) => {
    if (!breaks.has(ordinal)) return;
    const end = (token.index ?? 0) + token[0].length;
    lines += `${body.slice(from, end).trim()}\n`;
    from = end;
  });
  return `${header}${lines}${body.slice(from).trim()}\n`.replace(/\n\n$/, "\n");
}

/** Ordinals (among the tune's bar lines) of the bar lines that end a line of music. */
function lineBreakBars(tune: Tune, barsPerLine: number): Set<number> {
  const breaks = new Set<number>();
  const barLength = meterLength(tune.meter);
  let ordinal = -1;
  let sinceBar: Rational = ZERO;
  let musicBarsSeen = 0;
  let barsOnLine = 0;
  tune.elements.forEach((e, i) => {
    if (e.kind === "note" || e.kind === "rest") sinceBar = add(sinceBar, e.duration);
    if (e.kind !== "bar") return;
    ordinal++;
    if (!isZero(sinceBar)) {
      const isPickup = musicBarsSeen === 0 && cmp(sinceBar, barLength) < 0;
      if (!isPickup) barsOnLine++;
      musicBarsSeen++;
    }
    sinceBar = ZERO;
    const next = tune.elements[i + 1];
    // Not before a volta, and a run of bar lines (":| ||") stays together unless a repeat starts.
    const canBreak =
      next !== undefined && next.kind !== "ending" && (next.kind !== "bar" || next.bar === "|:");
    if (barsOnLine >= barsPerLine && canBreak) {
      breaks.add(ordinal);
      barsOnLine = 0;
    }
  });
  return breaks;
}
