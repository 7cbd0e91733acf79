import { expect } from "vitest";
import { measures } from "../../src/music/bar-check.js";
import { eq, formatRational, sub } from "../../src/music/rational.js";
import { meterLength, type Tune } from "../../src/music/tune.js";

/**
 * Asserts the bar lengths of a tune in parts of `partBars` bars: all full, or, when it
 * opens with a pickup, every part opening with a pickup as long and closing short by it.
 * Returns the pickup's length as text ("0" without one).
 */
export function expectPartPickups(tune: Tune, partBars: number): string {
  const full = meterLength(tune.meter);
  const lengths = measures(tune).map((m) => m.length);
  const pickup = lengths[0];
  if (!pickup || eq(pickup, full)) {
    expect(lengths.every((l) => eq(l, full))).toBe(true);
    return "0";
  }
  const parts = lengths.length / (partBars + 1);
  const part = [pickup, ...new Array(partBars - 1).fill(full), sub(full, pickup)];
  const expected = Array.from({ length: parts }, () => part).flat();
  expect(lengths.map(formatRational)).toEqual(expected.map(formatRational));
  return formatRational(pickup);
}
