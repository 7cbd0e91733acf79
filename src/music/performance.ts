import { midiOf } from "./pitch.js";
import { add, cmp, isZero, mul, type Rational, rat, sub, ZERO } from "./rational.js";
import {
  beatLength,
  isSectionBoundary,
  type Meter,
  meterLength,
  type Tune,
  type TuneElement,
} from "./tune.js";

/** One sounding note in play order; times in whole notes from the start. */
export interface PerformedNote {
  readonly midi: number;
  readonly start: Rational;
  readonly duration: Rational;
  /** MIDI velocity, 1..127. */
  readonly velocity: number;
}

export const VELOCITY = { downbeat: 100, beat: 84, offbeat: 70 } as const;

/**
 * Written elements in the order a player plays them: `:|` and `::` jump back once to the
 * latest section start, voltas are entered only on their pass. Every repeat bar jumps at
 * most once and skips only move forward, so this always terminates.
 */
export function playOrder(elements: readonly TuneElement[]): TuneElement[] {
  return playIndices(elements).map((i) => elements[i] as TuneElement);
}

/** playOrder, as indices into the written elements. */
function playIndices(elements: readonly TuneElement[]): number[] {
  const out: number[] = [];
  const jumped = new Set<number>();
  let sectionStart = 0;
  let pass = 1;
  let i = 0;
  while (i < elements.length) {
    const e = elements[i] as TuneElement;
    if (e.kind === "ending" && !e.numbers.includes(pass)) {
      i = skipEnding(elements, i + 1, pass);
      continue;
    }
    out.push(i);
    if (e.kind === "bar" && (e.bar === ":|" || e.bar === "::") && !jumped.has(i)) {
      jumped.add(i);
      pass = 2;
      i = sectionStart;
      continue;
    }
    if (e.kind === "bar" && isSectionBoundary(e.bar)) {
      sectionStart = i + 1;
      // After `[1 … :|` the `[2` that follows is still on this section's second pass.
      if (elements[i + 1]?.kind !== "ending") pass = 1;
    }
    i++;
  }
  return out;
}

/** Index of the next volta for `pass`, or of the bar that closes the section. */
function skipEnding(elements: readonly TuneElement[], from: number, pass: number): number {
  for (let j = from; j < elements.length; j++) {
    const e = elements[j] as TuneElement;
    if (e.kind === "ending" && e.numbers.includes(pass)) return j;
    if (e.kind === "bar" && isSectionBoundary(e.bar)) return j;
  }
  return elements.length;
}

/**
 * Plays the tune: repeats expanded, tied notes of equal pitch merged, rests as time, and
 * velocities following the metre so the MIDI and audio preview do not sound mechanical.
 */
export function performNotes(tune: Tune, options: PerformOptions = {}): PerformedNote[] {
  const notes = straightNotes(tune);
  const swing = options.swing;
  if (!swing) return notes;
  const origin = pickupOffset(tune.elements, meterLength(tune.meter));
  return notes.map((n) => {
    const start = swingTime(n.start, origin, swing);
    return { ...n, start, duration: sub(swingTime(add(n.start, n.duration), origin, swing), start) };
  });
}

export interface PerformOptions {
  /**
   * Swung eighths, as hornpipes are played: the share of each quarter note the first eighth
   * of a pair takes (3/5 is a light lilt; 1/2 is straight).
   */
  readonly swing?: Rational;
}

/** Hornpipes: a light swing, the first eighth of each pair 3/5 of the quarter note. */
export const HORNPIPE_SWING = rat(3, 5);

/**
 * Moves a time so that the second eighth of every quarter note comes late: the quarter
 * beats stay where they are, so the rhythm cannot blur across beats.
 */
export function swingTime(t: Rational, origin: Rational, swing: Rational): Rational {
  const quarter = rat(1, 4);
  const g = sub(t, origin);
  const cells = Math.floor((g.n * 4) / g.d);
  const cellStart = rat(cells, 4);
  const within = sub(g, cellStart);
  const half = rat(1, 8);
  const warped =
    cmp(within, half) <= 0
      ? mul(within, mul(swing, rat(2)))
      : add(mul(swing, quarter), mul(sub(within, half), mul(sub(rat(1), swing), rat(2))));
  return add(origin, add(cellStart, warped));
}

function straightNotes(tune: Tune): PerformedNote[] {
  const barLength = meterLength(tune.meter);
  const out: PerformedNote[] = [];
  let time = ZERO;
  let barStart = pickupOffset(tune.elements, barLength);
  /** The note a tie is still holding, to be lengthened by the next note of equal pitch. */
  let held: { index: number; midi: number } | undefined;
  const meters = writtenMeters(tune);
  for (const i of playIndices(tune.elements)) {
    const e = tune.elements[i] as TuneElement;
    const meter = meters[i] ?? tune.meter;
    if (e.kind === "bar") {
      // A part's short last bar and the pickup after it make one bar: no new downbeat.
      if (cmp(sub(time, barStart), meterLength(meter)) >= 0 || isZero(time)) barStart = time;
    } else if (e.kind === "rest") {
      time = add(time, e.duration);
      held = undefined;
    } else if (e.kind === "note") {
      const midi = midiOf(e.pitch);
      const prev = held?.midi === midi ? out[held.index] : undefined;
      let index = out.length;
      if (prev && held) {
        index = held.index;
        out[index] = { ...prev, duration: add(prev.duration, e.duration) };
      } else {
        out.push({
          midi,
          start: time,
          duration: e.duration,
          velocity: velocityAt(sub(time, barStart), meter),
        });
      }
      held = e.tie ? { index, midi } : undefined;
      time = add(time, e.duration);
    }
  }
  return out;
}

/**
 * The meter in force from each time of the performance on (repeats expanded), from 0: a
 * repeat that jumps back over a meter change returns to the meter written there.
 */
export function performedMeters(tune: Tune): { start: Rational; meter: Meter }[] {
  const out = [{ start: ZERO, meter: tune.meter }];
  const meters = writtenMeters(tune);
  let time = ZERO;
  for (const i of playIndices(tune.elements)) {
    const e = tune.elements[i] as TuneElement;
    if (e.kind !== "note" && e.kind !== "rest") continue;
    const meter = meters[i] ?? tune.meter;
    const current = out.at(-1)?.meter;
    if (current && (current.num !== meter.num || current.den !== meter.den)) out.push({ start: time, meter });
    time = add(time, e.duration);
  }
  return out;
}

/** The meter in force at each written element. */
function writtenMeters(tune: Tune): Meter[] {
  let meter = tune.meter;
  return tune.elements.map((e) => {
    if (e.kind === "meter") meter = e.meter;
    return meter;
  });
}

/**
 * A pickup (anacrusis) ends on the first bar line, so its notes sit at the end of a bar:
 * returns the (negative) time at which that virtual bar began.
 */
function pickupOffset(elements: readonly TuneElement[], barLength: Rational): Rational {
  let pickup = ZERO;
  for (const e of elements) {
    if (e.kind === "bar") {
      return !isZero(pickup) && cmp(pickup, barLength) < 0 ? sub(pickup, barLength) : ZERO;
    }
    if (e.kind === "note" || e.kind === "rest") pickup = add(pickup, e.duration);
  }
  return ZERO;
}

/** Metric accent for a note starting `offset` after its bar line. */
export function velocityAt(offset: Rational, meter: Meter): number {
  const pos = modulo(offset, meterLength(meter));
  if (isZero(pos)) return VELOCITY.downbeat;
  const beat = beatLength(meter);
  return isZero(modulo(pos, beat)) ? VELOCITY.beat : VELOCITY.offbeat;
}

function modulo(a: Rational, m: Rational): Rational {
  const q = Math.floor((a.n * m.d) / (a.d * m.n));
  return sub(a, rat(q * m.n, m.d));
}
