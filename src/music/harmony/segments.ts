import type { ChordSymbol } from "../chord.js";
import { midiOf, pitchClass } from "../pitch.js";
import { add, cmp, div, isZero, type Rational, rat, sub, toNumber, ZERO } from "../rational.js";
import { beatLength, isSectionBoundary, meterLength, type Tune, type TuneElement } from "../tune.js";

/**
 * A tune cut into half bars, in written order: the unit a chord is chosen for. Each
 * segment knows the melody it holds (pitch classes weighted by how long and how
 * prominently they sound), where a chord symbol for it could be written, and where it
 * sits in the form (a bar's start, the last bar of a part).
 */
export interface Segment {
  /** Bar number in written order (0 = the first bar, a pickup included). */
  readonly bar: number;
  /** 0 = the first half of the bar, 1 = the second (more in an overlong bar). */
  readonly half: number;
  /** The melody: pitch class 0..11 with a weight (quarter notes, onsets on beats counted more). */
  readonly notes: readonly { readonly pc: number; readonly weight: number }[];
  /** Index in tune.elements of the first note or rest that starts in the segment, if any. */
  readonly element?: number;
  /** The chord written in the tune that sounds at the segment's first onset (or start). */
  readonly written?: ChordSymbol;
  /** The first segment of a bar. */
  readonly barStart: boolean;
  /** In the last bar of a part (before `||`, `:|`, `|]`, `::` or the tune's end): the cadence. */
  readonly finalBar: boolean;
  /** Part of the pickup before the first full bar. */
  readonly pickup: boolean;
}

/** How much more a note counts when it starts on a beat of the segment. */
export const ONSET_BEAT_WEIGHT = 2;

interface Bar {
  readonly from: number;
  readonly to: number;
  readonly length: Rational;
  readonly closing?: TuneElement;
  readonly afterBoundary: boolean;
}

export function segmentTune(tune: Tune, onBeatWeight = ONSET_BEAT_WEIGHT): Segment[] {
  const full = meterLength(tune.meter);
  const half = div(full, rat(2));
  const beat = beatLength(tune.meter);
  const bars = splitBars(tune.elements);
  const out: Segment[] = [];
  let current: ChordSymbol | undefined;
  bars.forEach((bar, barIndex) => {
    const startsWithEnding = tune.elements[bar.from]?.kind === "ending";
    const short = cmp(bar.length, full) < 0 && !isZero(bar.length);
    // A short bar opening the tune or a part is a pickup: it ends where a full bar ends.
    const offset = short && bar.afterBoundary && !startsWithEnding ? sub(full, bar.length) : ZERO;
    const isPickup = barIndex === 0 && short && !isZero(offset);
    const finalBar =
      barIndex === bars.length - 1 || (bar.closing?.kind === "bar" && isSectionBoundary(bar.closing.bar));
    const end = add(offset, bar.length);
    const count = Math.max(1, Math.ceil(toNumber(div(end, half)) - 1e-9));
    const segs = Array.from({ length: count }, (_, k) => ({
      from: mulInt(half, k),
      weights: new Map<number, number>(),
      element: undefined as number | undefined,
      written: undefined as ChordSymbol | undefined,
    }));
    let pos = offset;
    for (let i = bar.from; i < bar.to; i++) {
      const e = tune.elements[i] as TuneElement;
      if (e.kind !== "note" && e.kind !== "rest") continue;
      const start = pos;
      const stop = add(pos, e.duration);
      pos = stop;
      if (e.chord) current = e.chord;
      for (let k = 0; k < segs.length; k++) {
        const seg = segs[k] as (typeof segs)[number];
        const segEnd = add(seg.from, half);
        const startsHere = cmp(start, seg.from) >= 0 && cmp(start, segEnd) < 0;
        if (startsHere && seg.element === undefined) {
          seg.element = i;
          seg.written = current;
        }
        if (e.kind !== "note") continue;
        const lo = cmp(start, seg.from) > 0 ? start : seg.from;
        const hi = cmp(stop, segEnd) < 0 ? stop : segEnd;
        if (cmp(hi, lo) <= 0) continue;
        const onBeat =
          startsHere && isZero(sub(div(start, beat), rat(Math.floor(toNumber(div(start, beat))))));
        const weight = toNumber(sub(hi, lo)) * 4 * (onBeat ? onBeatWeight : 1);
        const pc = pitchClass(midiOf(e.pitch));
        seg.weights.set(pc, (seg.weights.get(pc) ?? 0) + weight);
      }
    }
    segs.forEach((seg, k) => {
      // A pickup's segments before its first note hold nothing to harmonise.
      if (cmp(add(seg.from, half), offset) <= 0) return;
      out.push({
        bar: barIndex,
        half: k,
        notes: [...seg.weights].map(([pc, weight]) => ({ pc, weight })),
        ...(seg.element !== undefined ? { element: seg.element } : {}),
        // Without an onset the chord of the segment before goes on sounding.
        ...(seg.element !== undefined
          ? seg.written && { written: seg.written }
          : out.at(-1)?.written && { written: out.at(-1)?.written }),
        barStart: k === 0,
        finalBar,
        pickup: isPickup,
      });
    });
  });
  return out;
}

function mulInt(r: Rational, k: number): Rational {
  return rat(r.n * k, r.d);
}

/** Bars in written order: element ranges between bar lines (endings belong to their bar). */
function splitBars(elements: readonly TuneElement[]): Bar[] {
  const bars: Bar[] = [];
  let from = 0;
  let length = ZERO;
  let afterBoundary = true;
  elements.forEach((e, i) => {
    if (e.kind === "note" || e.kind === "rest") length = add(length, e.duration);
    if (e.kind !== "bar") return;
    if (!isZero(length)) bars.push({ from, to: i, length, closing: e, afterBoundary });
    afterBoundary = isZero(length) ? afterBoundary || isSectionBoundary(e.bar) : isSectionBoundary(e.bar);
    from = i + 1;
    length = ZERO;
  });
  if (!isZero(length)) bars.push({ from, to: elements.length, length, afterBoundary });
  return bars;
}
