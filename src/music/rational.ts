/**
 * Exact, always-normalised fractions for note durations and bar positions.
 * Floating point would let 1/3 + 1/3 + 1/3 drift away from 1 and break bar checks.
 */
export interface Rational {
  readonly n: number;
  readonly d: number;
}

/** Durations beyond this numerator/denominator are nonsense input, not music. */
const LIMIT = 2 ** 40;

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x || 1;
}

export class RationalOverflowError extends RangeError {
  constructor() {
    super("duration arithmetic overflowed: the numbers involved are too large to be music");
  }
}

export function rat(n: number, d = 1): Rational {
  if (!Number.isInteger(n) || !Number.isInteger(d) || d === 0) {
    throw new RangeError(`invalid fraction ${n}/${d}`);
  }
  const g = gcd(n, d);
  const sign = d < 0 ? -1 : 1;
  const rn = (sign * n) / g;
  const rd = (sign * d) / g;
  if (Math.abs(rn) > LIMIT || rd > LIMIT) throw new RationalOverflowError();
  return { n: rn === 0 ? 0 : rn, d: rd };
}

export const ZERO = rat(0);

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
export const div = (a: Rational, b: Rational): Rational => rat(a.n * b.d, a.d * b.n);
export const cmp = (a: Rational, b: Rational): number => a.n * b.d - b.n * a.d;
export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isZero = (a: Rational): boolean => a.n === 0;
export const toNumber = (a: Rational): number => a.n / a.d;
export const sum = (xs: readonly Rational[]): Rational => xs.reduce(add, ZERO);

/** "3/2", "2", "1/4" */
export function formatRational(a: Rational): string {
  return a.d === 1 ? String(a.n) : `${a.n}/${a.d}`;
}

/** Parses "3/2", "2", "1/4"; returns undefined for anything else. */
export function parseRational(text: string): Rational | undefined {
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = m[2] === undefined ? 1 : Number(m[2]);
  // Hundreds of digits parse as Infinity, which no fraction can hold.
  if (d === 0 || !Number.isSafeInteger(n) || !Number.isSafeInteger(d)) return undefined;
  return rat(n, d);
}
