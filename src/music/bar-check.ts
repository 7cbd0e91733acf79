import { add, cmp, formatRational, isZero, type Rational, ZERO } from "./rational.js";
import { type BarType, isSectionBoundary, meterLength, type Tune } from "./tune.js";

/**
 * Bar lengths against the meter. A bar may be short only where a section starts
 * (a pickup) or ends (its complement), i.e. next to a repeat sign, a double bar,
 * an ending, or the start or end of the tune. No bar may be longer than the meter.
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

interface Measure {
  length: Rational;
  /** Bar line before it, or "start". */
  before: BarType | "start";
  /** Bar line after it, or "end". */
  after: BarType | "end";
  /** An ending (`[1`) begins at or right after this measure's boundary. */
  nearEnding: boolean;
}

export function measures(tune: Tune): Measure[] {
  const out: Measure[] = [];
  let current: Measure = { length: ZERO, before: "start", after: "end", nearEnding: false };
  for (const e of tune.elements) {
    if (e.kind === "note" || e.kind === "rest") current.length = add(current.length, e.duration);
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
      };
    }
  }
  out.push(current);
  return out.filter((m) => !isZero(m.length));
}

export function checkBars(tune: Tune): BarReport {
  const full = meterLength(tune.meter);
  const all = measures(tune);
  const problems: BarProblem[] = [];
  all.forEach((m, i) => {
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
