/**
 * Whether a retrained model replaces the current one: it must not have forgotten the
 * base corpus (bits per note on its validation split at most `toleranceBits` worse) and
 * must have got better at the kind of tune people submit (held-out submissions: strictly
 * fewer bits per note). Scores that are not finite numbers (a diverged run) fail.
 */
export interface GateScores {
  readonly base: number;
  readonly submissions: number;
}

export interface GateDecision {
  readonly passed: boolean;
  /** One sentence per criterion, in plain words. */
  readonly reasons: readonly string[];
}

const bits = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

export function applyGate(before: GateScores, after: GateScores, toleranceBits: number): GateDecision {
  if (!Number.isFinite(after.base) || !Number.isFinite(after.submissions))
    return {
      passed: false,
      reasons: ["Training diverged: the new model's scores are not numbers. Try a lower learning rate."],
    };
  const limit = before.base + toleranceBits;
  const baseOk = after.base <= limit;
  const submissionsOk = after.submissions < before.submissions;
  const change = after.base - before.base;
  const reasons = [
    baseOk
      ? `Base corpus (held-out tunes): ${bits(after.base)} bits/note, was ${bits(before.base)} (${change < 0 ? `better by ${bits(-change)}` : change === 0 ? "unchanged" : `${bits(change)} worse, within the ${toleranceBits} allowed`}).`
      : `Base corpus (held-out tunes): ${bits(after.base)} bits/note against ${bits(before.base)}, worse by ${bits(change)}, more than the ${toleranceBits} allowed: the new model forgot some of what it knew.`,
    submissionsOk
      ? `Held-out submissions: ${bits(after.submissions)} bits/note, was ${bits(before.submissions)}: better at the submitted tunes.`
      : `Held-out submissions: ${bits(after.submissions)} bits/note against ${bits(before.submissions)}: not better at the submitted tunes.`,
  ];
  return { passed: baseOk && submissionsOk, reasons };
}
