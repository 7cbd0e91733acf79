import { checkBars, type Measure, makeOneBar, measures } from "../music/bar-check.js";
import { eq } from "../music/rational.js";
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

/**
 * Bars as a musician counts them: a pickup and the short bar completing it make one, both
 * the tune's opening pickup with its last bar and a part's short last bar with the next
 * part's pickup.
 */
export function barCount(tune: Tune): number {
  const all = measures(tune);
  let count = 0;
  const paired = new Set<number>();
  for (let i = 0; i < all.length; i++) {
    const m = all[i] as Measure;
    if (eq(m.length, meterLength(m.meter))) count++;
    else if (i + 1 < all.length && makeOneBar(m, all[i + 1] as Measure)) {
      count++;
      paired.add(i).add(i + 1);
      i++;
    }
  }
  const last = all.length - 1;
  if (last >= 1 && !paired.has(0) && !paired.has(last) && makeOneBar(all[0] as Measure, all[last] as Measure))
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
