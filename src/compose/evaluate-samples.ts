import { isDeepStrictEqual } from "node:util";
import { isValidationName } from "../model/data.js";
import { Rng } from "../model/rng.js";
import { parseAbc } from "../music/abc-read.js";
import { analyseCorpus, readCorpusSources } from "../music/corpus.js";
import {
  endsOnTonic,
  histogramOverlap,
  intervalHistogram,
  noteLengthHistogram,
  pitchClassHistogram,
} from "../music/features.js";
import { abcKeyName } from "../music/key.js";
import { estimateElementsKey, sameKey } from "../music/key-estimate.js";
import type { Meter, Tune } from "../music/tune.js";
import { abcjsWarnings } from "../render/abcjs-dom.js";
import type { Composer } from "./composer.js";
import { COMPOSE_MODES, type ComposeRequest, LIMITS, validateRequest } from "./request.js";
import { barCount, checkStructure } from "./structure.js";
import { STYLE_NAMES, STYLES } from "./styles.js";

/**
 * How good are the tunes users get? Generated tunes against the held-out tunes of a
 * collection: do they parse (ours and abcjs), are their bars right, do they end on the
 * tonic, and how much do their pitch-class, interval and note-length histograms overlap
 * with the real tunes' (Yang & Lerch's overlapping area, on normalised histograms).
 * Each sample copies the meter, key and length of a held-out tune, so both sides have
 * the same mix of meters and modes. Then held-out tunes are cut in half and continued:
 * does the continuation stay in the seed's key?
 */
export interface SampleEvaluation {
  readonly samples: number;
  readonly temperature: number;
  readonly candidates: number;
  readonly reference: { readonly tunes: number; readonly endsOnTonic: number };
  readonly shares: {
    readonly parsesOurs: number;
    readonly abcjsClean: number;
    readonly barsCorrect: number;
    readonly endsOnTonic: number;
  };
  readonly overlap: { readonly pitchClass: number; readonly interval: number; readonly noteLength: number };
  readonly continuation: {
    readonly seeds: number;
    /** Continuation's estimated key = the seed's declared key. */
    readonly sameKey: number;
    /** Continuation's estimated key = the seed's estimated key (one estimator on both sides). */
    readonly sameEstimatedKey: number;
    readonly sameMeter: number;
    /** The same two comparisons for the real second halves: the estimator's own ceiling. */
    readonly referenceSameKey: number;
    readonly referenceSameEstimatedKey: number;
  };
  readonly msPerTune: number;
}

export interface SampleEvaluationOptions {
  readonly samples: number;
  readonly temperature: number;
  readonly candidates?: number;
  readonly continuations?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function evaluateSamples(
  composer: Composer,
  corpus: string,
  options: SampleEvaluationOptions,
): Promise<SampleEvaluation> {
  const analysis = analyseCorpus(readCorpusSources(corpus));
  const heldOut = analysis.usable.map((t) => t.tune).filter((t) => isValidationName(t.title));
  const templates = heldOut.filter(
    (t) => styleFor(t) && (COMPOSE_MODES as readonly string[]).includes(t.key.mode),
  );
  if (templates.length === 0) throw new Error(`no held-out tunes in ${corpus} to compare with`);
  const candidates = options.candidates ?? LIMITS.candidates.default;
  const continuations = Math.min(options.continuations ?? 200, templates.length);
  const total = options.samples + continuations;
  const rng = new Rng(2026);

  const generated: Tune[] = [];
  let parsesOurs = 0;
  let abcjsClean = 0;
  let barsCorrect = 0;
  const started = performance.now();
  for (let i = 0; i < options.samples; i++) {
    const template = templates[i % templates.length] as Tune;
    const request = requestLike(template, options.temperature, candidates, rng.uint32());
    const result = await composer.compose(request, { audio: false, score: false });
    const { tune } = result;
    generated.push(tune);
    if (sameTune(parseOrUndefined(result.renderings.abc), tune)) parsesOurs++;
    if (abcjsWarnings(result.renderings.abc).length === 0) abcjsClean++;
    if (checkStructure(tune, request.bars).ok) barsCorrect++;
    options.onProgress?.(i + 1, total);
  }
  const msPerTune = (performance.now() - started) / Math.max(1, options.samples);

  let keptWrittenKey = 0;
  let keptEstimatedKey = 0;
  let keptMeter = 0;
  let referenceSameKey = 0;
  let referenceSameEstimatedKey = 0;
  for (let i = 0; i < continuations; i++) {
    const original = templates[i] as Tune;
    const { seed, rest, bars } = splitInHalf(original);
    const request = { ...requestLike(original, options.temperature, candidates, rng.uint32()), bars, seed };
    const result = await composer.compose(request, { audio: false, score: false });
    const continuation = result.tune.elements.slice(result.generatedFrom);
    const seedKey = estimateElementsKey(seed.elements);
    const estimated = estimateElementsKey(continuation);
    const real = estimateElementsKey(rest);
    if (sameKey(estimated, original.key)) keptWrittenKey++;
    if (sameKey(estimated, seedKey)) keptEstimatedKey++;
    if (
      checkStructure({ ...result.tune, elements: continuation }).ok &&
      sameMeter(result.tune.meter, original.meter)
    )
      keptMeter++;
    if (sameKey(real, original.key)) referenceSameKey++;
    if (sameKey(real, seedKey)) referenceSameEstimatedKey++;
    options.onProgress?.(options.samples + i + 1, total);
  }

  const share = (n: number, of: number) => n / Math.max(1, of);
  return {
    samples: options.samples,
    temperature: options.temperature,
    candidates,
    reference: {
      tunes: heldOut.length,
      endsOnTonic: share(heldOut.filter(endsOnTonic).length, heldOut.length),
    },
    shares: {
      parsesOurs: share(parsesOurs, generated.length),
      abcjsClean: share(abcjsClean, generated.length),
      barsCorrect: share(barsCorrect, generated.length),
      endsOnTonic: share(generated.filter(endsOnTonic).length, generated.length),
    },
    overlap: {
      pitchClass: histogramOverlap(pitchClassHistogram(generated), pitchClassHistogram(heldOut)),
      interval: histogramOverlap(intervalHistogram(generated), intervalHistogram(heldOut)),
      noteLength: histogramOverlap(noteLengthHistogram(generated), noteLengthHistogram(heldOut)),
    },
    continuation: {
      seeds: continuations,
      sameKey: share(keptWrittenKey, continuations),
      sameEstimatedKey: share(keptEstimatedKey, continuations),
      sameMeter: share(keptMeter, continuations),
      referenceSameKey: share(referenceSameKey, continuations),
      referenceSameEstimatedKey: share(referenceSameEstimatedKey, continuations),
    },
    msPerTune,
  };
}

/** The first style with the tune's meter (styles are how users pick a meter). */
function styleFor(tune: Tune): (typeof STYLE_NAMES)[number] | undefined {
  return STYLE_NAMES.find((s) => sameMeter(STYLES[s].meter, tune.meter));
}

function requestLike(
  template: Tune,
  temperature: number,
  candidates: number,
  seedValue: number,
): ComposeRequest {
  return validateRequest({
    style: styleFor(template),
    key: abcKeyName(template.key),
    bars: Math.min(LIMITS.bars.max, Math.max(LIMITS.bars.min, barCount(template))),
    temperature,
    candidates,
    seedValue,
  });
}

/** The first half of a tune's bars as a seed, and the real second half for reference. */
function splitInHalf(tune: Tune): { seed: Tune; rest: Tune["elements"]; bars: number } {
  const barIndexes = tune.elements.flatMap((e, i) => (e.kind === "bar" ? [i] : []));
  const cut = barIndexes[Math.floor(barIndexes.length / 2) - 1] ?? tune.elements.length - 1;
  const bars = Math.max(
    LIMITS.bars.min,
    Math.min(LIMITS.bars.max, barIndexes.length - Math.floor(barIndexes.length / 2)),
  );
  return {
    seed: { ...tune, elements: tune.elements.slice(0, cut + 1) },
    rest: tune.elements.slice(cut + 1),
    bars,
  };
}

function sameMeter(a: Meter, b: Meter): boolean {
  return a.num === b.num && a.den === b.den;
}

function parseOrUndefined(abc: string): Tune | undefined {
  try {
    return parseAbc(abc);
  } catch {
    return undefined;
  }
}

/** Same music and meter; field order in the objects does not matter (a chord written before or after a tie). */
function sameTune(a: Tune | undefined, b: Tune): boolean {
  return a !== undefined && isDeepStrictEqual(a.elements, b.elements) && sameMeter(a.meter, b.meter);
}
