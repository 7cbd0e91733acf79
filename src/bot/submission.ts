import { shiftOctaves } from "../compose/seed.js";
import { checkBars, describeBarProblem } from "../music/bar-check.js";
import { roundTrips, tokenHash } from "../music/corpus.js";
import { MusicError } from "../music/music-errors.js";
import { tuneToTokens } from "../music/tokens.js";
import { splitAtLastMeter, type Tune } from "../music/tune.js";
import type { Vocabulary } from "../music/vocabulary.js";
import { UserFacingError } from "./error-replies.js";

/**
 * Whether a tune can join the training data, judged as the corpus builder judges tunes:
 * whole bars that fit the meter, written exactly in the model's vocabulary (moved by whole
 * octaves if that is what it takes, as MIDI files are often an octave off), and its tokens
 * give the tune back. The content hash is of the tokens, so the same music in another key
 * or spelling is recognised as a duplicate.
 */
export interface TrainingTune {
  readonly tokens: readonly string[];
  readonly contentHash: string;
  /** Octaves the tune was moved by to fit the vocabulary. */
  readonly octaveShift: number;
  /** What the sender should know about how it will be learned (meter changes, octaves). */
  readonly notes: readonly string[];
}

const OCTAVE_TRIES = [0, -1, 1, -2, 2];

export function prepareTrainingTune(whole: Tune, vocabulary: Vocabulary): TrainingTune {
  const bars = checkBars(whole);
  if (!bars.ok) {
    const first = bars.problems[0];
    throw new UserFacingError(
      `the bars don't add up to the meter (${first ? describeBarProblem(first) : "bar lengths are off"}). Training tunes need whole bars.`,
    );
  }
  // The model's tokens cannot change meter: a tune that does is learned from its last meter on.
  const { head, tail: tune } = splitAtLastMeter(whole);
  const notes: string[] = [];
  if (head.length > 0)
    notes.push(
      `It changes meter, which the model's notation cannot: it will be learned from its last meter change on (${tune.meter.num}/${tune.meter.den}).`,
    );
  let firstMissing: string[] = [];
  try {
    for (const shift of OCTAVE_TRIES) {
      const moved = shiftOctaves(tune, shift);
      const tokens = tuneToTokens(moved);
      const missing = vocabulary.unknown(tokens);
      if (shift === 0) firstMissing = missing;
      if (missing.length > 0) continue;
      if (!roundTrips(moved, tokens))
        throw new UserFacingError("the model's notation cannot write this tune exactly.");
      if (shift !== 0)
        notes.push(
          `It will be learned ${Math.abs(shift)} octave(s) ${shift > 0 ? "higher" : "lower"}, in the range the model knows.`,
        );
      return { tokens, contentHash: tokenHash(tokens), octaveShift: shift, notes };
    }
  } catch (e) {
    if (e instanceof MusicError)
      throw new UserFacingError(`the model's notation cannot write it: ${e.message}`);
    throw e;
  }
  throw new UserFacingError(
    `it uses ${firstMissing.slice(0, 6).join(" ")}, which the model cannot write (it knows a range of about two and a half octaves from E below middle C, common note lengths and the meters ${knownMeters(vocabulary)}).`,
  );
}

function knownMeters(vocabulary: Vocabulary): string {
  return vocabulary.tokens
    .filter((t) => t.startsWith("M:"))
    .map((t) => t.slice(2))
    .join(", ");
}
