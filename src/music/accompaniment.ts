import { type ChordSymbol, chordBassPitchClass, chordPitchClasses } from "./chord.js";
import type { PerformedNote } from "./performance.js";
import { playOrder } from "./performance.js";
import { add, cmp, div, eq, isZero, mul, type Rational, rat, sub, ZERO } from "./rational.js";
import { isCompound, type Meter, meterLength, type Tune } from "./tune.js";

/**
 * A backing played from the tune's chord symbols, the way a guitarist or accordionist
 * plays for dancers: a bass note on the strong beats and the chord on the weak ones —
 * reel and hornpipe bass–chord per beat pair, jig bass–chord–chord per dotted quarter,
 * waltz oom-pah-pah, polka bass–chord per quarter. In play order (repeats expanded),
 * quieter than the melody, with a little velocity life that never touches the rhythm.
 */

export const ACCOMPANIMENT_VELOCITY = { bass: 64, chord: 50 } as const;

/** One stroke of the pattern: where in the bar, bass or chord, how long. */
interface Stroke {
  readonly at: Rational;
  readonly bass: boolean;
  readonly length: Rational;
}

/** The strokes of one bar, from the meter alone (styles in one meter share a pattern). */
export function accompanimentPattern(meter: Meter): Stroke[] {
  const bar = meterLength(meter);
  const strokes = (unit: Rational, roles: readonly boolean[]) =>
    roles.map((bass, i) => ({ at: mul(unit, rat(i)), bass, length: mul(unit, rat(3, 4)) }));
  if (isCompound(meter)) {
    // Per dotted quarter: bass, chord, chord on the eighths.
    const beats = meter.num / 3;
    return strokes(
      rat(1, meter.den),
      Array.from({ length: meter.num }, (_, i) => i % 3 === 0 && i / 3 < beats),
    );
  }
  if (meter.num === 3) return strokes(rat(1, meter.den), [true, false, false]);
  if (meter.num === 2 && meter.den === 4) return strokes(rat(1, 8), [true, false, true, false]);
  // 2/2, 4/4 and other even meters: bass and chord alternate by quarter notes.
  const quarters = Math.max(1, Math.round((bar.n / bar.d) * 4));
  return strokes(
    rat(1, 4),
    Array.from({ length: quarters }, (_, i) => i % 2 === 0),
  );
}

/** Lowest bass note and the bottom of the chord voicing (E2 and G3). */
const BASS_FLOOR = 40;
const CHORD_FLOOR = 55;

/** Notes of the accompaniment, times in whole notes from the start, like performNotes. */
export function performAccompaniment(tune: Tune): PerformedNote[] {
  const pattern = accompanimentPattern(tune.meter);
  const barLength = meterLength(tune.meter);
  const out: PerformedNote[] = [];
  // Chord changes in play order: [time, chord].
  const changes: { at: Rational; chord: ChordSymbol }[] = [];
  const barStarts: Rational[] = [];
  let time = ZERO;
  let barStart = ZERO;
  let barHasMusic = false;
  for (const e of playOrder(tune.elements)) {
    if (e.kind === "bar") {
      if (barHasMusic) barStarts.push(barStart);
      barStart = time;
      barHasMusic = false;
    } else if (e.kind === "note" || e.kind === "rest") {
      if (e.chord) changes.push({ at: time, chord: e.chord });
      time = add(time, e.duration);
      barHasMusic = true;
    }
  }
  if (barHasMusic) barStarts.push(barStart);
  const end = time;
  if (changes.length === 0) return out;

  let change = 0;
  let stroke = 0;
  for (const start of barStarts) {
    let barChord: ChordSymbol | undefined;
    // A short bar (a pickup, a part's last bar) is played from where its beat pattern would be.
    const barEnd = nextStart(barStarts, start, end);
    const shortBy = sub(barLength, sub(barEnd, start));
    const offset = cmp(shortBy, ZERO) > 0 && start === barStarts[0] ? shortBy : ZERO;
    for (const s of pattern) {
      const at = add(start, sub(s.at, offset));
      if (cmp(at, start) < 0 || cmp(at, barEnd) >= 0) continue;
      while (
        change + 1 < changes.length &&
        cmp((changes[change + 1] as (typeof changes)[number]).at, at) <= 0
      )
        change++;
      const current = changes[change] as (typeof changes)[number];
      if (cmp(current.at, at) > 0) continue; // before the first chord (a pickup): the melody alone
      const length = cmp(add(at, s.length), barEnd) > 0 ? sub(barEnd, at) : s.length;
      if (isZero(length)) continue;
      const life = jitter(stroke++);
      if (s.bass) {
        // Root on the first bass of a bar, the fifth on the next: the guitarist's alternating bass.
        const alternate = barChord === current.chord && !current.chord.bass;
        barChord = current.chord;
        const pc = (chordBassPitchClass(current.chord) + (alternate ? 7 : 0)) % 12;
        out.push({
          midi: above(BASS_FLOOR, pc),
          start: at,
          duration: length,
          velocity: ACCOMPANIMENT_VELOCITY.bass + life,
        });
      } else {
        for (const midi of voicing(current.chord)) {
          out.push({ midi, start: at, duration: length, velocity: ACCOMPANIMENT_VELOCITY.chord + life });
        }
      }
    }
  }
  return out;
}

function nextStart(starts: readonly Rational[], start: Rational, end: Rational): Rational {
  for (const s of starts) if (cmp(s, start) > 0) return s;
  return end;
}

/** The lowest MIDI note of pitch class `pc` at or above `floor`. */
function above(floor: number, pc: number): number {
  return floor + ((pc - floor + 120) % 12);
}

/** Close position from G3 up: every chord tone once, within about an octave. */
function voicing(chord: ChordSymbol): number[] {
  return chordPitchClasses(chord)
    .map((pc) => above(CHORD_FLOOR, pc))
    .sort((a, b) => a - b);
}

/** A small, repeatable velocity variation (−3..+3): a player is never a drum machine. */
function jitter(n: number): number {
  const x = Math.sin(n * 12.9898 + 78.233) * 43758.5453;
  return Math.round((x - Math.floor(x)) * 6) - 3;
}

/** GM percussion keys that stand in for a bodhrán: the low floor tom's open "down" stroke, the low tom's lighter ones. */
export const BODHRAN_KEYS = { down: 41, light: 45 } as const;
export const BODHRAN_VELOCITY = { down: 58, light: 40 } as const;

/**
 * A bodhrán under a dance tune: a stroke on every eighth note (a jig's three per dotted
 * quarter, a reel's two per quarter), the beat's stroke open and louder, in play order from
 * the first full bar to the end, never in a pickup.
 */
export function performBodhran(tune: Tune): PerformedNote[] {
  const barLength = meterLength(tune.meter);
  const eighth = rat(1, 8);
  const beat = isCompound(tune.meter) ? rat(3, 8) : tune.meter.den >= 4 ? rat(1, 4) : rat(1, 2);
  const out: PerformedNote[] = [];
  let time = ZERO;
  let barStart = ZERO;
  let started = false;
  const bars: { start: Rational; end: Rational }[] = [];
  for (const e of playOrder(tune.elements)) {
    if (e.kind === "bar") {
      // Leading short bars are the pickup: the drum comes in on the first full bar.
      if (cmp(time, barStart) > 0 && (started || eq(sub(time, barStart), barLength))) {
        bars.push({ start: barStart, end: time });
        started = true;
      }
      barStart = time;
    } else if (e.kind === "note" || e.kind === "rest") {
      time = add(time, e.duration);
    }
  }
  if (cmp(time, barStart) > 0) bars.push({ start: barStart, end: time });
  let stroke = 0;
  for (const bar of bars) {
    for (let at = bar.start; cmp(at, bar.end) < 0; at = add(at, eighth)) {
      const offset = sub(at, bar.start);
      const onBeat = isZero(
        sub(div(offset, beat), rat(Math.floor((offset.n * beat.d) / (offset.d * beat.n)))),
      );
      const life = jitter(1000 + stroke++);
      out.push({
        midi: onBeat ? BODHRAN_KEYS.down : BODHRAN_KEYS.light,
        start: at,
        duration: rat(1, 16),
        velocity: (onBeat ? BODHRAN_VELOCITY.down : BODHRAN_VELOCITY.light) + life,
      });
    }
  }
  return out;
}
