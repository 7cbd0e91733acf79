import { isDeepStrictEqual } from "node:util";
import { parseAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { checkBars } from "../../src/music/bar-check.js";
import { MODES } from "../../src/music/key.js";
import { midiToTune } from "../../src/music/midi-read.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { MusicError } from "../../src/music/music-errors.js";
import { midiOf } from "../../src/music/pitch.js";
import type { Rational } from "../../src/music/rational.js";
import { tokensToTune, tuneToTokens } from "../../src/music/tokens.js";
import { BAR_TYPES, splitAtLastMeter, type Tune, withoutChords } from "../../src/music/tune.js";

/**
 * What a reader may hand to the rest of Tunesmith: every field in range, and every
 * consumer of a Tune (bar check, tokens, ABC writer, MIDI writer) works on it. Returns
 * the first broken promise, or undefined.
 */
export function tuneProblem(tune: Tune): string | undefined {
  return structureProblem(tune) ?? consumerProblem(tune);
}

const isInt = (x: unknown): x is number => Number.isSafeInteger(x);

function positiveRational(r: Rational): boolean {
  return isInt(r.n) && isInt(r.d) && r.n > 0 && r.d > 0 && gcd(r.n, r.d) === 1;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function structureProblem(tune: Tune): string | undefined {
  if (typeof tune.title !== "string") return "title is not a string";
  const { num, den } = tune.meter;
  if (!isInt(num) || num < 1 || num > 99 || ![1, 2, 4, 8, 16].includes(den)) return `meter ${num}/${den}`;
  if (!positiveRational(tune.unitLength)) return "unit length is not a positive fraction";
  if (!MODES.includes(tune.key.mode) || !isInt(tune.key.tonic.step) || Math.abs(tune.key.tonic.alter) > 1)
    return "key out of range";
  if (tune.tempo && !(tune.tempo.bpm > 0 && tune.tempo.bpm <= 1000 && positiveRational(tune.tempo.beat)))
    return "tempo out of range";
  let notes = 0;
  for (const [i, e] of tune.elements.entries()) {
    switch (e.kind) {
      case "note": {
        notes++;
        const { step, octave, alter } = e.pitch;
        if (!isInt(step) || step < 0 || step > 6 || !isInt(octave) || !isInt(alter) || Math.abs(alter) > 2)
          return `element ${i}: malformed pitch`;
        const midi = midiOf(e.pitch);
        if (midi < 0 || midi > 127) return `element ${i}: pitch ${midi} outside MIDI 0..127`;
        if (!positiveRational(e.duration)) return `element ${i}: duration not a positive fraction`;
        break;
      }
      case "rest":
        if (!positiveRational(e.duration)) return `element ${i}: rest duration not a positive fraction`;
        break;
      case "tuplet":
        if (![e.p, e.q, e.r].every((x) => isInt(x) && x >= 1 && x <= 9) || e.p < 2)
          return `element ${i}: tuplet`;
        break;
      case "bar":
        if (!BAR_TYPES.includes(e.bar)) return `element ${i}: bar ${e.bar}`;
        break;
      case "ending":
        if (e.numbers.length === 0 || !e.numbers.every((x) => isInt(x) && x >= 1 && x <= 9))
          return `element ${i}: ending`;
        break;
      case "meter":
        if (
          !isInt(e.meter.num) ||
          e.meter.num < 1 ||
          e.meter.num > 99 ||
          ![1, 2, 4, 8, 16].includes(e.meter.den)
        )
          return `element ${i}: meter ${e.meter.num}/${e.meter.den}`;
        break;
      default:
        return `element ${i}: unknown kind`;
    }
  }
  return notes === 0 ? "no notes" : undefined;
}

class Broken {
  constructor(readonly problem: string) {}
}

/** Runs one consumer; a throw becomes a Broken naming it. */
function attempt<T>(what: string, f: () => T): T | Broken {
  try {
    return f();
  } catch (e) {
    return new Broken(`${what} threw ${(e as Error).name}: ${(e as Error).message}`);
  }
}

function consumerProblem(tune: Tune): string | undefined {
  const bars = attempt("checkBars", () => checkBars(tune));
  if (bars instanceof Broken) return bars.problem;
  // Tokens cannot change meter: a tune that does is refused with a typed error, and its
  // last meter section (what seeds and submissions use) is tokenized instead.
  const { head, tail } = splitAtLastMeter(tune);
  if (head.length > 0) {
    const whole = attempt("tuneToTokens", () => {
      try {
        tuneToTokens(tune);
        return new Broken("tuneToTokens dropped a meter change");
      } catch (e) {
        if (e instanceof MusicError) return undefined;
        throw e;
      }
    });
    if (whole instanceof Broken) return whole.problem;
  }
  const tokens = attempt("tuneToTokens", () => tuneToTokens(tail));
  if (tokens instanceof Broken) return tokens.problem;
  const back = attempt("tokensToTune", () => tokensToTune(tokens, { tonic: tail.key.tonic }));
  if (back instanceof Broken) return back.problem;
  if (!sameMusic(back, withoutChords(tail))) return "tokens do not round-trip";
  const abc = attempt("tuneToAbc", () => tuneToAbc(tune));
  if (abc instanceof Broken) return abc.problem;
  const reread = attempt("parseAbc(tuneToAbc)", () => parseAbc(abc));
  if (reread instanceof Broken) return reread.problem;
  for (const field of ["meter", "key", "unitLength", "tempo", "elements"] as const) {
    if (!isDeepStrictEqual(reread[field], tune[field])) return `ABC round trip changes ${field}`;
  }
  const midi = attempt("tuneToMidi", () => tuneToMidi(tune));
  if (midi instanceof Broken) return midi.problem;
  // Reading our own MIDI back may be refused (too long for a seed), but only with a typed error.
  const fromMidi = attempt("midiToTune(tuneToMidi)", () => {
    try {
      return midiToTune(midi, { maxNotes: 1_000_000 });
    } catch (e) {
      if (e instanceof MusicError) return undefined;
      throw e;
    }
  });
  return fromMidi instanceof Broken ? fromMidi.problem : undefined;
}

/**
 * Tokens keep the music but not always the spelling: a double flat moved to C and back
 * may come back as its enharmonic neighbour. Notes are compared by sound.
 */
function sameMusic(a: Tune, b: Tune): boolean {
  if (!isDeepStrictEqual(a.meter, b.meter) || !isDeepStrictEqual(a.key, b.key)) return false;
  if (a.elements.length !== b.elements.length) return false;
  return a.elements.every((x, i) => {
    const y = b.elements[i];
    if (x.kind !== "note" || y?.kind !== "note") return isDeepStrictEqual(x, y);
    return (
      midiOf(x.pitch) === midiOf(y.pitch) && isDeepStrictEqual(x.duration, y.duration) && !x.tie === !y.tie
    );
  });
}
