import { add, cmp, formatRational, isZero, type Rational, ZERO } from "./rational.js";
import { type BarType, isSectionBoundary, type Meter, meterLength, type Tune } from "./tune.js";

/**
 * Bar lengths against the meter. A bar may be short only where a section starts
 * (a pickup) or ends (its complement), i.e. next to a repeat sign, a double bar,
 * an ending, or the start or end of the tune. No bar may be longer than the meter.
 * Each bar is measured against the meter in force (a meter change mid-tune applies to
 * the bar it is written in and those after it).
 */
export interface BarProblem {
  /** 1-based bar number in written order. */
  readonly bar: number;
  readonly length: Rational;
  readonly expected: Rational;
  readonly problem: "too-long" | "too-short";
}

export interface BarReport {
  readonly ok: boolean;
  readonly bars: number;
  readonly problems: readonly BarProblem[];
}

export interface Measure {
  length: Rational;
  /** Bar line before it, or "start". */
  before: BarType | "start";
  /** Bar line after it, or "end". */
  after: BarType | "end";
  /** An ending (`[1`) begins at or right after this measure's boundary. */
  nearEnding: boolean;
  /** The meter in force in this measure. */
  meter: Meter;
}

export function measures(tune: Tune): Measure[] {
  const out: Measure[] = [];
  let current: Measure = {
    length: ZERO,
    before: "start",
    after: "end",
    nearEnding: false,
    meter: tune.meter,
  };
  for (const e of tune.elements) {
    if (e.kind === "note" || e.kind === "rest") current.length = add(current.length, e.duration);
    else if (e.kind === "meter") current.meter = e.meter;
    else if (e.kind === "ending") {
      current.nearEnding = true;
      const previous = out.at(-1);
      if (isZero(current.length) && previous) previous.nearEnding = true;
    } else if (e.kind === "bar") {
      current.after = e.bar;
      out.push(current);
      current = {
        length: ZERO,
        before: e.bar,
        after: "end",
        nearEnding: current.nearEnding && isZero(current.length),
        meter: current.meter,
      };
    }
  }
  out.push(current);
  return out.filter((m) => !isZero(m.length));
}

export function checkBars(tune: Tune): BarReport {
  const all = measures(tune);
  const problems: BarProblem[] = [];
  all.forEach((m, i) => {
    const full = meterLength(m.meter);
    const c = cmp(m.length, full);
    if (c === 0) return;
    const atSectionEdge =
      i === 0 ||
      i === all.length - 1 ||
      m.nearEnding ||
      (m.before !== "start" && isSectionBoundary(m.before)) ||
      (m.after !== "end" && isSectionBoundary(m.after));
    if (c > 0 || !atSectionEdge) {
      problems.push({
        bar: i + 1,
        length: m.length,
        expected: full,
        problem: c > 0 ? "too-long" : "too-short",
      });
    }
  });
  return { ok: problems.length === 0, bars: all.length, problems };
}

export function describeBarProblem(p: BarProblem): string {
  return `bar ${p.bar} lasts ${formatRational(p.length)} of a whole note, expected ${formatRational(p.expected)} (${p.problem})`;
}

/** Two short measures that make one bar of the first one's meter: a pickup and its complement. */
export function makeOneBar(a: Measure, b: Measure): boolean {
  const full = meterLength(a.meter);
  return cmp(a.length, full) < 0 && cmp(b.length, full) < 0 && cmp(add(a.length, b.length), full) === 0;
}

/**
 * The pickup a tune's parts open with: the opening short bar, when the tune's last bar is
 * short by it. `measures` lists the pickups among `measures(tune)`: the opening one and
 * each one that completes the short last bar of the part before it.
 */
export function partPickups(
  tune: Tune,
): { readonly length: Rational; readonly measures: readonly number[] } | undefined {
  const all = measures(tune);
  const first = all[0];
  const last = all.at(-1);
  if (!first || !last || all.length < 2 || !makeOneBar(first, last)) return undefined;
  const pickups = [0];
  for (let i = 2; i < all.length; i++) {
    if (makeOneBar(all[i - 1] as Measure, all[i] as Measure)) {
      pickups.push(i);
      i++;
    }
  }
  return { length: first.length, measures: pickups };
}
