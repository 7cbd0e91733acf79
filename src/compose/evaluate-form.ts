import {
  crossValidate,
  crossValidatedPredictions,
  type Features,
  logisticRegression,
  randomForest,
} from "../model/classifiers.js";
import { isValidationName, trainingTunes } from "../model/data.js";
import { Rng } from "../model/rng.js";
import { analyseCorpus, readCorpusSources } from "../music/corpus.js";
import { rhythmFeatures, structureFeatures } from "../music/descriptors.js";
import { histogramOverlap } from "../music/features.js";
import { analyseForm, type FormAnalysis } from "../music/form.js";
import { abcKeyName } from "../music/key.js";
import { NoveltyIndex } from "../music/novelty.js";
import type { Meter, Tune } from "../music/tune.js";
import type { Composer } from "./composer.js";
import { COMPOSE_MODES, validateRequest } from "./request.js";
import { STYLE_NAMES, STYLES, type Style, type StyleName } from "./styles.js";

/**
 * Do composed tunes have the form of real ones, and the style asked for? Tunes composed at
 * the defaults (each style's usual form and length), in the mix of styles and keys of the
 * held-out real tunes, against those real tunes: the distributions of returning bars and
 * phrases, of part similarity, cadences and parts; classifiers trained to tell composed from
 * real (0.5 = they cannot); a style classifier trained on real tunes, asked to recognise
 * real (cross-validated) and composed tunes of each style; and how long a run of
 * notes each composed tune shares with a training tune.
 */
export interface FormEvaluation {
  readonly samples: number;
  readonly real: number;
  readonly measures: readonly MeasureComparison[];
  readonly parts: { readonly composed: Distribution; readonly real: Distribution; readonly overlap: number };
  readonly classifier: { readonly logistic: number; readonly forest: number; readonly perClass: number };
  readonly styles: readonly StyleRecognition[];
  readonly novelty: {
    readonly median: number;
    readonly max: number;
    readonly longest?: { readonly notes: number; readonly title: string; readonly with?: string };
    readonly atLeast32: number;
  };
  readonly msPerTune: number;
}

export interface MeasureComparison {
  readonly name: string;
  readonly composedMean: number;
  readonly realMean: number;
  /** Overlapping area of the two distributions (10 bins over 0–1). */
  readonly overlap: number;
}

/** Counts per value, e.g. number of parts → tunes. */
export type Distribution = Readonly<Record<string, number>>;

export interface StyleRecognition {
  readonly style: StyleName;
  readonly realTunes: number;
  readonly composedTunes: number;
  /** Share of the real tunes of the style, in its meter, the classifier calls that style (cross-validated). */
  readonly real: number;
  readonly composed: number;
}

export interface FormEvaluationOptions {
  readonly samples: number;
  readonly temperature: number;
  readonly candidates?: number;
  /**
   * Composed tunes per style for style recognition, at least (default 100: the standard
   * error of a share is then at most 5 points; at 40 up to 8, too coarse for a 10-point
   * target).
   */
  readonly perStyle?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

const MEASURES = [
  ["bars repeating an earlier bar", (f: FormAnalysis) => f.barRepeatShare],
  ["2-bar phrases repeating an earlier one", (f: FormAnalysis) => f.phraseRepeatShare],
  ["most similar pair of parts", (f: FormAnalysis) => f.partSimilarity],
  ["parts ending on tonic or dominant", (f: FormAnalysis) => f.cadenceShare],
] as const;

export async function evaluateForm(
  composer: Composer,
  corpus: string,
  options: FormEvaluationOptions,
): Promise<FormEvaluation> {
  const split = splitCorpus(corpus);
  const { real, training } = split;
  // One generator for every composed tune, in a fixed order: the same tunes every run.
  const rng = new Rng(2027);
  const started = performance.now();
  const composed = await composeLikeReal(composer, split, options, rng);
  const msPerTune = (performance.now() - started) / Math.max(1, options.samples);
  const composedTunes = composed.map((c) => c.tune);
  const { measures, parts } = compareForms(composedTunes, real);
  const styles = await recogniseStyles(composer, split, composed, options, rng);
  return {
    samples: composedTunes.length,
    real: real.length,
    measures,
    parts,
    classifier: realOrComposed(real, composedTunes),
    styles,
    novelty: noveltyOf(composedTunes, training),
    msPerTune,
  };
}

/** The collection's tunes by split, and the styles composition offers with a tune type. */
interface CorpusSplit {
  readonly tunes: readonly Tune[];
  readonly training: readonly Tune[];
  /** Held-out tunes of an offered style: what composed tunes are measured against. */
  readonly real: readonly Tune[];
  readonly styled: readonly StyleName[];
  styleOf(tune: Tune): StyleName | undefined;
}

interface Composed {
  readonly tune: Tune;
  readonly style: StyleName;
}

function splitCorpus(corpus: string): CorpusSplit {
  const tunes = analyseCorpus(readCorpusSources(corpus)).usable.map((t) => t.tune);
  const rhythmOf = (s: StyleName) => (STYLES[s] as Style).rhythm;
  const styled = STYLE_NAMES.filter((s) => rhythmOf(s) !== undefined);
  const styleOf = (t: Tune) => styled.find((s) => rhythmOf(s) === t.rhythm);
  const training = trainingTunes(tunes);
  const real = tunes.filter((t) => isValidationName(t.title) && styleOf(t));
  if (real.length === 0) throw new Error(`no held-out tunes of a known type in ${corpus}`);
  return { tunes, training, real, styled, styleOf };
}

/** `options.samples` tunes composed at the defaults, mirroring the real ones' mix of styles and keys. */
async function composeLikeReal(
  composer: Composer,
  split: CorpusSplit,
  options: FormEvaluationOptions,
  rng: Rng,
): Promise<Composed[]> {
  const composed: Composed[] = [];
  for (let i = 0; i < options.samples; i++) {
    const model = split.real[i % split.real.length] as Tune;
    const style = split.styleOf(model) as StyleName;
    const request = validateRequest({
      style,
      ...((COMPOSE_MODES as readonly string[]).includes(model.key.mode)
        ? { key: abcKeyName(model.key) }
        : {}),
      temperature: options.temperature,
      ...(options.candidates ? { candidates: options.candidates } : {}),
      seedValue: rng.uint32(),
    });
    const result = await composer.compose(request, { audio: false, score: false });
    composed.push({ tune: result.tune, style });
    options.onProgress?.(i + 1, options.samples);
  }
  return composed;
}

/** The form measures' distributions and the parts, composed against real. */
function compareForms(
  composedTunes: readonly Tune[],
  real: readonly Tune[],
): Pick<FormEvaluation, "measures" | "parts"> {
  // Each tune's form analysed once, for every measure below.
  const composedForms = composedTunes.map(analyseForm);
  const realForms = real.map(analyseForm);
  const measures = MEASURES.map(([name, measure]) => {
    const a = composedForms.map(measure);
    const b = realForms.map(measure);
    return {
      name,
      composedMean: mean(a),
      realMean: mean(b),
      overlap: histogramOverlap(binned(a), binned(b)),
    };
  });
  const partsOf = (forms: readonly FormAnalysis[]) => distribution(forms.map(partsLabel));
  const composedParts = partsOf(composedForms);
  const realParts = partsOf(realForms);
  return {
    measures,
    parts: {
      composed: composedParts,
      real: realParts,
      overlap: distributionOverlap(composedParts, realParts),
    },
  };
}

/** How well classifiers tell real from composed, on balanced classes (0.5: they cannot). */
function realOrComposed(real: readonly Tune[], composedTunes: readonly Tune[]): FormEvaluation["classifier"] {
  const n = Math.min(real.length, composedTunes.length);
  const xs: Features[] = [...real.slice(0, n), ...composedTunes.slice(0, n)].map(structureFeatures);
  const ys = [...new Array<number>(n).fill(0), ...new Array<number>(n).fill(1)];
  return {
    logistic: crossValidate(logisticRegression, xs, ys, 2),
    forest: crossValidate(randomForest, xs, ys, 2),
    perClass: n,
  };
}

/**
 * Style, judged from meter and rhythm by a forest trained on real tunes of the offered
 * styles. Real tunes: every tune of the style in the meter it is composed in (not only the
 * held-out ones: a few styles have 3 or 4 of those), each judged by a forest trained on the
 * other folds. Composed: the tunes above, topped up to `perStyle` per style, judged by a
 * forest trained on the whole training split.
 */
async function recogniseStyles(
  composer: Composer,
  split: CorpusSplit,
  composed: readonly Composed[],
  options: FormEvaluationOptions,
  rng: Rng,
): Promise<StyleRecognition[]> {
  const { styled, styleOf } = split;
  const offered = split.tunes.filter((t) => styleOf(t));
  const labels = offered.map((t) => styled.indexOf(styleOf(t) as StyleName));
  // Rhythm features once per tune: the training tunes are among the offered ones.
  const features = new Map(offered.map((t) => [t, rhythmFeatures(t)]));
  const judged = crossValidatedPredictions(
    randomForest,
    offered.map((t) => features.get(t) as Features),
    labels,
    styled.length,
    5,
    7,
  );
  const trainingOffered = split.training.filter((t) => styleOf(t));
  const styleModel = randomForest(
    trainingOffered.map((t) => features.get(t) as Features),
    trainingOffered.map((t) => styled.indexOf(styleOf(t) as StyleName)),
    styled.length,
    7,
  );
  const perStyle = options.perStyle ?? 100;
  const styles: StyleRecognition[] = [];
  for (const style of styled) {
    const { meter } = STYLES[style] as Style;
    const realOf = offered
      .map((t, i) => ({ t, i }))
      .filter(({ t }) => styleOf(t) === style && sameMeter(t.meter, meter));
    const composedOf = composed.filter((c) => c.style === style).map((c) => c.tune);
    for (let k = composedOf.length; k < perStyle; k++) {
      const request = validateRequest({ style, temperature: options.temperature, seedValue: rng.uint32() });
      composedOf.push((await composer.compose(request, { audio: false, score: false })).tune);
    }
    styles.push({
      style,
      realTunes: realOf.length,
      composedTunes: composedOf.length,
      real: share(realOf, ({ i }) => judged[i] === styled.indexOf(style)),
      composed: share(composedOf, (t) => styled[styleModel.predict(rhythmFeatures(t))] === style),
    });
  }
  return styles;
}

/** The longest runs of notes composed tunes share with a training tune. */
function noveltyOf(composedTunes: readonly Tune[], training: readonly Tune[]): FormEvaluation["novelty"] {
  const index = new NoveltyIndex(training);
  const shared = composedTunes.map((t) => ({ title: t.title, ...index.longestShared(t) }));
  const longest = shared.reduce<(typeof shared)[number] | undefined>(
    (best, s) => (!best || s.notes > best.notes ? s : best),
    undefined,
  );
  const runs = shared.map((s) => s.notes).sort((a, b) => a - b);
  return {
    median: runs[Math.floor(runs.length / 2)] ?? 0,
    max: runs.at(-1) ?? 0,
    ...(longest ? { longest } : {}),
    atLeast32: share(runs, (r) => r >= 32),
  };
}

/** "2×8": parts and bars per part (the most common length), as a musician would say it. */
function partsLabel({ partBars }: FormAnalysis): string {
  const counts = distribution(partBars.map(String));
  const usual = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0] ?? "0";
  return `${partBars.length}×${usual}`;
}

function binned(values: readonly number[]): { labels: string[]; counts: number[] } {
  const counts = new Array<number>(10).fill(0);
  for (const v of values) {
    const bin = Math.min(9, Math.max(0, Math.floor(v * 10)));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return { labels: counts.map((_, i) => `${i / 10}`), counts };
}

function distribution(labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
}

function distributionOverlap(a: Distribution, b: Distribution): number {
  const labels = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return histogramOverlap(
    { labels, counts: labels.map((l) => a[l] ?? 0) },
    { labels, counts: labels.map((l) => b[l] ?? 0) },
  );
}

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
}

function share<T>(list: readonly T[], test: (t: T) => boolean): number {
  return list.length === 0 ? 0 : list.filter(test).length / list.length;
}

function sameMeter(a: Meter, b: Meter): boolean {
  return a.num === b.num && a.den === b.den;
}
