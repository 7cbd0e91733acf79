import { MusicError } from "../music/music-errors.js";
import { add, cmp, div, mul, type Rational, rat, sub, ZERO } from "../music/rational.js";
import { parseLengthToken, TOKEN_UNIT, tuneToTokens } from "../music/tokens.js";
import { splitAtLastMeter, type Tune, type TuneElement } from "../music/tune.js";
import { rhythmToken } from "../music/tune-type.js";
import type { Vocabulary } from "../music/vocabulary.js";

/**
 * A user's tune made ready to prime the model: in the model's vocabulary (long notes
 * re-spelled as tied notes the vocabulary can write, the melody moved by octaves into
 * the range the model knows), trimmed to the last bars that fit the model's useful
 * context, with a closing `|]` turned into `||` so the continuation can follow it.
 * The notes that are kept sound exactly as the user wrote them.
 */
export interface PreparedSeed {
  /** The kept part of the seed, in its own key and octave (its meter changes included). */
  readonly tune: Tune;
  /** Tokens of the kept part for the prompt: meter, mode, music in C (no `<s>`, no `</s>`). */
  readonly tokens: readonly string[];
  /** Octaves the prompt was moved by; the continuation is moved back by as many. */
  readonly octaveShift: number;
  /** Things the user should know (trimmed, re-spelled, moved). */
  readonly notes: readonly string[];
}

export class SeedError extends MusicError {}

/** Tokens of seed the model reads before continuing: about two tunes' worth. */
export const SEED_CONTEXT_TOKENS = 320;

export function prepareSeed(
  typedSeed: Tune,
  vocabulary: Vocabulary,
  contextTokens = SEED_CONTEXT_TOKENS,
): PreparedSeed {
  // The tune type conditions the model like the meter and mode, where the model knows it.
  const { rhythm, ...seed } = typedSeed;
  const typeToken = rhythm && vocabulary.id(rhythmToken(rhythm)) !== undefined ? [rhythmToken(rhythm)] : [];
  if (!seed.elements.some((e) => e.kind === "note"))
    throw new SeedError("empty-seed", "the seed has no notes");
  const notes: string[] = [];
  // The model's tokens cannot change meter: it is primed with the bars in the seed's last meter.
  const { head, tail } = splitAtLastMeter(seed);
  if (head.length > 0)
    notes.push(
      `the seed changes meter, which the model cannot do: it continued in the seed's last meter, ${tail.meter.num}/${tail.meter.den}, from the bars written in it`,
    );
  const [meterToken, modeToken] = tuneToTokens({ ...tail, elements: [] }).slice(1, 3) as [string, string];
  if (vocabulary.id(meterToken) === undefined)
    throw new SeedError(
      "unknown-meter",
      `the seed is in ${meterToken.slice(2)}, which the model has not learned (it knows ${known(vocabulary, "M:")})`,
    );
  if (vocabulary.id(modeToken) === undefined)
    throw new SeedError(
      "unknown-mode",
      `the seed is in the ${modeToken.slice(2)} mode, which the model has not learned (it knows ${known(vocabulary, "K:")})`,
    );

  const respelled = respellLengths(tail, vocabulary);
  if (respelled.count > 0)
    notes.push(
      `${respelled.count} long note${respelled.count === 1 ? " was" : "s were"} written as tied notes`,
    );
  let tune = closeOpenEnd(respelled.tune);

  const { shift, tokens } = fitOctave(tune, vocabulary);
  if (shift !== 0)
    notes.push(
      `the model heard your seed ${Math.abs(shift)} octave${Math.abs(shift) === 1 ? "" : "s"} ${shift > 0 ? "higher" : "lower"}, where it knows the notes`,
    );

  const body = tokens.slice(3, -1);
  const kept = trimToContext(tune, body, contextTokens);
  if (kept.bars > 0) {
    notes.push(`the seed was long, so I continued from its last ${kept.keptBars} bars`);
    tune = kept.tune;
  } else if (head.length > 0) {
    tune = { ...tune, meter: seed.meter, elements: [...head, ...tune.elements] };
  }
  return {
    tune: rhythm ? { ...tune, rhythm } : tune,
    tokens: [meterToken, modeToken, ...typeToken, ...kept.tokens],
    octaveShift: shift,
    notes,
  };
}

function known(vocabulary: Vocabulary, prefix: string): string {
  return vocabulary.tokens
    .filter((t) => t.startsWith(prefix))
    .map((t) => t.slice(prefix.length))
    .join(", ");
}

/** A final `|]` becomes `||`: the seed ends a section, not the tune. */
function closeOpenEnd(tune: Tune): Tune {
  const last = tune.elements.at(-1);
  if (last?.kind !== "bar" || last.bar !== "|]") return tune;
  return { ...tune, elements: [...tune.elements.slice(0, -1), { kind: "bar", bar: "||" }] };
}

/**
 * Notes and rests outside tuplets whose length has no token (a MIDI file's 5/8 note,
 * say) become tied notes (or consecutive rests) of lengths the vocabulary has.
 */
function respellLengths(tune: Tune, vocabulary: Vocabulary): { tune: Tune; count: number } {
  const lengths = [rat(1), ...vocabulary.tokens.map(parseLengthToken).filter((l): l is Rational => !!l)].sort(
    (a, b) => cmp(b, a),
  );
  const knows = (eighths: Rational) => lengths.some((l) => cmp(l, eighths) === 0);
  const out: TuneElement[] = [];
  let count = 0;
  let inTuplet = 0;
  for (const e of tune.elements) {
    if (e.kind === "tuplet") inTuplet = e.r;
    if ((e.kind !== "note" && e.kind !== "rest") || inTuplet > 0) {
      if ((e.kind === "note" || e.kind === "rest") && inTuplet > 0) inTuplet--;
      out.push(e);
      continue;
    }
    const eighths = div(e.duration, TOKEN_UNIT);
    if (knows(eighths)) {
      out.push(e);
      continue;
    }
    const parts: Rational[] = [];
    let left = eighths;
    while (cmp(left, ZERO) > 0) {
      const part = lengths.find((l) => cmp(l, left) <= 0);
      if (!part)
        throw new SeedError(
          "unknown-length",
          "the seed has a note length the model cannot write, even with ties",
        );
      parts.push(part);
      left = sub(left, part);
    }
    count++;
    parts.forEach((p, i) => {
      const duration = mul(p, TOKEN_UNIT);
      const last = i === parts.length - 1;
      out.push(
        e.kind === "note" ? { ...e, duration, ...(last ? {} : { tie: true }) } : { kind: "rest", duration },
      );
    });
  }
  return { tune: { ...tune, elements: out }, count };
}

/** Tokens of the tune, moved by the fewest octaves that make every token known. */
function fitOctave(tune: Tune, vocabulary: Vocabulary): { shift: number; tokens: string[] } {
  let firstMissing: string[] = [];
  for (const shift of [0, -1, 1, -2, 2]) {
    const tokens = tuneToTokens(shiftOctaves(tune, shift));
    const missing = vocabulary.unknown(tokens);
    if (missing.length === 0) return { shift, tokens };
    if (shift === 0) firstMissing = missing;
  }
  throw new SeedError(
    "unknown-tokens",
    `the seed uses ${firstMissing.slice(0, 6).join(" ")}, which the model cannot write (its range is about two and a half octaves from E below middle C)`,
  );
}

/**
 * The seed from its earliest bar line after which at most `limit` tokens follow, so the
 * model reads whole bars. Bar elements and bar tokens correspond one to one.
 */
function trimToContext(
  tune: Tune,
  body: readonly string[],
  limit: number,
): { tune: Tune; tokens: readonly string[]; bars: number; keptBars: number } {
  const untouched = { tune, tokens: body, bars: 0, keptBars: 0 };
  if (body.length <= limit) return untouched;
  const barTokenAt: number[] = [];
  body.forEach((t, i) => {
    if (/^(\||\|\||\|\]|\|:|:\||::)$/.test(t)) barTokenAt.push(i);
  });
  const cut = barTokenAt.findIndex((i) => body.length - (i + 1) <= limit && i + 1 < body.length);
  if (cut < 0) return untouched;
  let seen = -1;
  const elementCut = tune.elements.findIndex((e) => e.kind === "bar" && ++seen === cut);
  const elements = tune.elements.slice(elementCut + 1);
  const endsWithBar = barTokenAt.at(-1) === body.length - 1;
  return {
    tune: { ...tune, elements },
    tokens: body.slice((barTokenAt[cut] as number) + 1),
    bars: cut + 1,
    keptBars: barTokenAt.length - cut - 1 + (endsWithBar ? 0 : 1),
  };
}

/** Sum of note and rest durations since the last bar line (the continuation's bar position). */
export function openBarLength(tune: Tune): Rational {
  let length = ZERO;
  for (const e of tune.elements) {
    if (e.kind === "bar") length = ZERO;
    else if (e.kind === "note" || e.kind === "rest") length = add(length, e.duration);
  }
  return length;
}

export function shiftOctaves(tune: Tune, octaves: number): Tune {
  if (octaves === 0) return tune;
  return {
    ...tune,
    elements: tune.elements.map((e) =>
      e.kind === "note" ? { ...e, pitch: { ...e.pitch, octave: e.pitch.octave + octaves } } : e,
    ),
  };
}
