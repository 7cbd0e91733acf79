import { checkBars, measures } from "../music/bar-check.js";
import { add, eq } from "../music/rational.js";
import { meterLength, type Tune } from "../music/tune.js";

/**
 * The checks every tune we send must pass, whatever produced it: bars of the meter's
 * length (a pickup and its complement allowed), the requested number of bars, and a
 * final bar line.
 */
export interface StructureReport {
  readonly ok: boolean;
  readonly bars: number;
  readonly problems: readonly string[];
}

/** Bars as a musician counts them: a pickup and the short last bar completing it make one. */
export function barCount(tune: Tune): number {
  const all = measures(tune);
  const full = meterLength(tune.meter);
  let count = all.filter((m) => eq(m.length, full)).length;
  const first = all[0];
  const last = all.at(-1);
  if (all.length >= 2 && first && last && !eq(first.length, full) && eq(add(first.length, last.length), full))
    count++;
  return count;
}

export function checkStructure(tune: Tune, expectedBars?: number): StructureReport {
  const problems: string[] = [];
  const bars = checkBars(tune);
  for (const p of bars.problems.slice(0, 3)) problems.push(`bar ${p.bar} is ${p.problem.replace("-", " ")}`);
  const count = barCount(tune);
  if (expectedBars !== undefined && count !== expectedBars)
    problems.push(`${count} bars instead of ${expectedBars}`);
  const last = tune.elements.at(-1);
  if (last?.kind !== "bar" || (last.bar !== "|]" && last.bar !== ":|")) problems.push("no final bar line");
  return { ok: problems.length === 0, bars: count, problems };
}
