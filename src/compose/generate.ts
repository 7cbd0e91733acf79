import { bitsPerNote, countNotes } from "../model/data.js";
import { Rng } from "../model/rng.js";
import { partPickups } from "../music/bar-check.js";
import { endsOnTonic } from "../music/features.js";
import { analyseForm, closedPartBars } from "../music/form.js";
import type { Key } from "../music/key.js";
import { estimateElementsKey, sameKey } from "../music/key-estimate.js";
import { MusicError } from "../music/music-errors.js";
import type { Rational } from "../music/rational.js";
import { BOS, EOS, meterToken, modeToken, tokensToTune } from "../music/tokens.js";
import { beatLength, lastMeter, type Meter, type Tempo, type Tune, type TuneElement } from "../music/tune.js";
import { rhythmToken, type TuneType } from "../music/tune-type.js";
import type { Vocabulary } from "../music/vocabulary.js";
import { type FormTemplates, planForm } from "./form-plan.js";
import { parseForm } from "./form-spec.js";
import { FormSteering } from "./form-steering.js";
import { type DecodeState, TuneGrammar } from "./grammar.js";
import type { ComposeRequest } from "./request.js";
import type { RhythmProfiles } from "./rhythm-profiles.js";
import { type StepModel, sampleCandidates } from "./sampler.js";
import { openBarLength, type PreparedSeed, prepareSeed, shiftOctaves } from "./seed.js";
import { checkStructure } from "./structure.js";
import { STYLES, type Style } from "./styles.js";
import { tuneTitle } from "./title.js";
import type { TokenTable } from "./token-table.js";

/**
 * A request → the best of N sampled tunes: conditioning tokens (meter, mode, and the
 * seed if any), grammar-constrained batched sampling, then each candidate decoded,
 * checked and scored by the model's own likelihood (bits per token). The winner is the
 * likeliest well-formed candidate, preferring those that stay in the key and end on the tonic.
 */
export interface ComposerModel {
  readonly name: string;
  readonly vocabulary: Vocabulary;
  readonly table: TokenTable;
  readonly stepper: StepModel;
  /** Real tunes' forms to borrow returns from; generic plans without them. */
  readonly formTemplates?: FormTemplates;
  /** Real tunes' mixes of note lengths per type, to prefer candidates that move like theirs. */
  readonly rhythmProfiles?: RhythmProfiles;
}

/**
 * Classifier-free guidance towards the tune type (see SampleOptions.guidance). The type token
 * alone left reels, hornpipes and polkas of one meter too alike; measured with
 * `npm run evaluate -- --form-only` at 0, 0.5 and 1 (README, "Style").
 */
export const STYLE_GUIDANCE = 0.5;

export interface CandidateReport {
  readonly bitsPerNote: number;
  readonly tokens: number;
  /** What best of N ranks by, after the checks. */
  readonly bitsPerToken: number;
  readonly ok: boolean;
  readonly endsOnTonic: boolean;
  /** Share of its parts that close on the tonic or the dominant, as real tunes' parts do. */
  readonly cadences: number;
  /** The generated part sounds in the key asked for (the seed's, when continuing one). */
  readonly keepsKey: boolean;
  /** A fresh tune of a type has the mix of note lengths real tunes of the type have (see RhythmProfiles). */
  readonly movesLikeType: boolean;
  readonly problems: readonly string[];
  readonly hurried: boolean;
}

export interface GeneratedTune {
  readonly tune: Tune;
  /** Index of the first generated element (0 without a seed). */
  readonly generatedFrom: number;
  readonly candidates: readonly CandidateReport[];
  readonly chosen: number;
  readonly notes: readonly string[];
}

export interface GenerateOptions {
  /** Wall-clock limit for sampling; after it, candidates finish by the shortest way. */
  readonly timeLimitMs?: number;
  readonly now?: () => number;
}

export class ComposeError extends MusicError {}

const DEFAULT_TIME_LIMIT_MS = 15_000;

export function generateTune(
  model: ComposerModel,
  request: ComposeRequest,
  options: GenerateOptions = {},
): GeneratedTune {
  const now = options.now ?? (() => performance.now());
  const conditioning = conditioningOf(model, request);
  const { seed, meter, rhythm, prompt, header } = conditioning;
  const seedParts = seed ? seedPartsOf(seed.tune, request.bars) : undefined;
  const grammar = grammarFor(model, request, conditioning, seedParts);
  const { start, seedElements } = seed
    ? startAfterSeed(model, grammar, seed, seedParts, conditioning)
    : { start: grammar.start(), seedElements: [] };
  checkTokenBudget(grammar.remaining(start), request, seed !== undefined);
  const rng = Rng.derive(request.seedValue, 0x5eed);
  const formRng = Rng.derive(request.seedValue, 0xf0e);
  const steering = seed
    ? partSteering(model, request, seed, seedParts, prompt, meter, rhythm, grammar, start, formRng)
    : formSteering(model, request, meter, rhythm, grammar, formRng);
  const candidates = sampleCandidates(model.stepper, {
    grammar,
    start,
    prompt: model.vocabulary.encode(prompt),
    candidates: request.candidates,
    temperature: request.temperature,
    topP: request.topP,
    rng,
    ...(steering ? { steering } : {}),
    // A fresh tune of a type leans towards what the type adds to its meter and mode.
    ...(!seed && conditioning.typed
      ? {
          guidance: {
            unconditioned: model.vocabulary.encode([BOS, ...header.slice(0, 2)]),
            weight: STYLE_GUIDANCE,
          },
        }
      : {}),
    maxTokens: request.maxTokens,
    deadline: now() + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
    now,
  });
  const decoded = candidates.map((c) => decodeCandidate(model, request, conditioning, seedElements, c));
  const chosen = bestCandidate(decoded);
  const winner = decoded[chosen] as Decoded;
  const notes = [...(seed?.notes ?? [])];
  if (winner.report.hurried) notes.push("composing took too long, so the tune was brought to an early close");
  return {
    tune: winner.tune,
    generatedFrom: seedElements.length,
    candidates: decoded.map((d) => d.report),
    chosen,
    notes,
  };
}

/** What the model is primed with and what the tune is written in. */
interface Conditioning {
  readonly seed: PreparedSeed | undefined;
  readonly meter: Meter;
  readonly key: Key;
  readonly rhythm: TuneType | undefined;
  /** Meter, mode and (when the model knows it) tune type tokens: the head of every candidate. */
  readonly header: readonly string[];
  /** The header has a tune type token. */
  readonly typed: boolean;
  /** `<s>` and the header, or the seed's tokens (a bar line may still be added to them). */
  readonly prompt: string[];
  /** A bar's length on the token table's grid. */
  readonly barUnits: number;
  readonly title: string;
  readonly tempo: Tempo;
}

function conditioningOf(model: ComposerModel, request: ComposeRequest): Conditioning {
  const { vocabulary, table } = model;
  const seed = request.seed ? prepareSeed(request.seed, vocabulary) : undefined;
  // A seed that changes meter is continued in its last one.
  const meter = seed ? lastMeter(seed.tune) : STYLES[request.style].meter;
  const key = request.seed ? request.seed.key : request.key;
  const style: Style = STYLES[request.style];
  const rhythm = request.seed ? request.seed.rhythm : style.rhythm;
  const typeToken = rhythm && vocabulary.id(rhythmToken(rhythm)) !== undefined ? [rhythmToken(rhythm)] : [];
  const header = [meterToken(meter.num, meter.den), modeToken(key.mode), ...typeToken];
  const prompt = [BOS, ...(seed ? seed.tokens : header)];
  const barUnits = (meter.num * table.unitsPerWhole) / meter.den;
  if (!Number.isInteger(barUnits))
    throw new ComposeError("unsupported-meter", `cannot write bars of ${meter.num}/${meter.den}`);
  const title = request.seed?.title || tuneTitle(request.seedValue, request.style);
  const tempo = { bpm: request.tempo, beat: beatLength(meter) };
  return { seed, meter, key, rhythm, header, typed: typeToken.length > 0, prompt, barUnits, title, tempo };
}

/**
 * The grammar of the tune asked for. A fresh tune may open with a pickup, as most dance
 * tunes do; then every part opens with one and ends short by it, so that a repeat comes
 * back to it in time. A seed of whole parts is continued part by part, with its parts' pickup.
 */
function grammarFor(
  model: ComposerModel,
  request: ComposeRequest,
  conditioning: Conditioning,
  seedParts: SeedParts | undefined,
): TuneGrammar {
  const { seed, barUnits } = conditioning;
  const partBars = seed ? (seedParts?.bars ?? request.bars) : request.partBars;
  const partEnds = Array.from({ length: request.bars / partBars - 1 }, (_, i) => (i + 1) * partBars);
  return new TuneGrammar(model.table, { barUnits, bars: request.bars, allowPickup: !seed, partEnds });
}

/**
 * Where the grammar stands after the seed: in its last bar, tied to its last note if that
 * note is tied, after its parts' pickup when it ends at a part's end. A seed that stops at
 * a full bar without a bar line gets one (in the prompt and the elements).
 */
function startAfterSeed(
  model: ComposerModel,
  grammar: TuneGrammar,
  seed: PreparedSeed,
  seedParts: SeedParts | undefined,
  conditioning: Conditioning,
): { start: DecodeState; seedElements: readonly TuneElement[] } {
  const { table, vocabulary } = model;
  const { prompt, barUnits } = conditioning;
  let seedElements = seed.tune.elements;
  const open = openBarLength(seed.tune);
  let units = (open.n * table.unitsPerWhole) / open.d;
  if (!Number.isInteger(units))
    throw new ComposeError("seed-rhythm", "the seed's last bar has a rhythm the model cannot continue");
  if (units >= barUnits) {
    // The seed stops at a full (or overfull) bar without a bar line: add one.
    prompt.push("|");
    seedElements = [...seedElements, { kind: "bar", bar: "|" }];
    units = 0;
  }
  const last = seedElements.filter((e) => e.kind === "note").at(-1);
  const tieTo = last?.kind === "note" && last.tie ? lastPitchClass(prompt, vocabulary, table) : undefined;
  const pickup = seedParts?.pickup ? (seedParts.pickup.n * table.unitsPerWhole) / seedParts.pickup.d : 0;
  // A pickup longer than a bar of the meter continued in (a seed that changed meter) is none.
  const opens = units === 0 && Number.isInteger(pickup) && pickup < barUnits ? pickup : 0;
  const start = grammar.continueAt(units, tieTo, opens);
  return { start, seedElements };
}

/** Refuses a tune that cannot be finished within the request's token budget, before sampling. */
function checkTokenBudget(needed: number, request: ComposeRequest, seeded: boolean): void {
  if (needed > request.maxTokens) {
    throw new ComposeError(
      "token-limit",
      `${request.bars} bars${seeded ? " after this seed" : ""} need at least ${needed} tokens, more than this bot's limit of ${request.maxTokens} (its MAX_TOKENS_PER_BAR setting is too low for them)`,
    );
  }
}

interface Decoded {
  readonly tune: Tune;
  readonly report: CandidateReport;
}

/** A sampled candidate as a tune (the seed first, when there is one), checked and scored. */
function decodeCandidate(
  model: ComposerModel,
  request: ComposeRequest,
  conditioning: Conditioning,
  seedElements: readonly TuneElement[],
  candidate: { readonly ids: readonly number[]; readonly nll: number; readonly hurried: boolean },
): Decoded {
  const { seed, meter, key, header, title, tempo } = conditioning;
  const music = model.vocabulary.decode(candidate.ids).filter((t) => t !== EOS);
  const continuation = shiftOctaves(
    tokensToTune([...header, ...music], { tonic: key.tonic, title, tempo }),
    -(seed?.octaveShift ?? 0),
  );
  const tune: Tune = {
    ...continuation,
    meter: seed?.tune.meter ?? meter,
    elements: [...seedElements, ...continuation.elements],
  };
  const structure = checkStructure(seed ? continuation : tune, seed ? undefined : request.bars);
  const report: CandidateReport = {
    bitsPerNote: bitsPerNote(candidate.nll, countNotes(music)),
    tokens: candidate.ids.length,
    bitsPerToken: candidate.nll / Math.LN2 / Math.max(1, candidate.ids.length),
    ok: structure.ok,
    endsOnTonic: endsOnTonic(tune),
    cadences: analyseForm(seed ? continuation : tune).cadenceShare,
    keepsKey: sameKey(estimateElementsKey(continuation.elements), key),
    movesLikeType:
      seed || !conditioning.rhythm || !model.rhythmProfiles
        ? true
        : model.rhythmProfiles.movesLike(tune, conditioning.rhythm),
    problems: structure.problems,
    hurried: candidate.hurried,
  };
  return { tune, report };
}

/**
 * The index of the winner. Well-formed first; then in the key asked for (a sampled tune can
 * drift to the relative or dominant key); then moving like its type (its mix of note
 * lengths within the ranges real tunes of the type show: half the polkas sampled move like
 * 2/4 airs, a mixture the type token alone does not pin down); then parts closing on the
 * tonic or the dominant, as real tunes' parts do; then likelihood per token. Not a tonic
 * ending as such: preferred, 95% of tunes ended on the tonic against 78% of real ones, and
 * that alone helped a classifier tell them apart (`npm run evaluate`: forest 0.655 with it,
 * 0.636 without). Per note it would favour plain even notes: a dotted pair or a triplet
 * costs length and tuplet tokens a run of eighths does not, so hornpipes lost their rhythm
 * to the ranking (dotted pairs 0.04 of notes chosen against 0.15 sampled and 0.11 in real
 * hornpipes).
 */
function bestCandidate(decoded: readonly Decoded[]): number {
  const rank = (d: Decoded) => [
    d.report.ok ? 0 : 1,
    d.report.keepsKey ? 0 : 1,
    d.report.movesLikeType ? 0 : 1,
    -d.report.cadences,
    d.report.bitsPerToken,
  ];
  let chosen = -1;
  decoded.forEach((d, i) => {
    const best = decoded[chosen];
    if (d.report.ok && (!best || compareRanks(rank(d), rank(best)) < 0)) chosen = i;
  });
  if (chosen < 0) {
    const problems = decoded.flatMap((d) => d.report.problems).slice(0, 3);
    throw new ComposeError("no-valid-tune", `no candidate tune passed the checks (${problems.join("; ")})`);
  }
  return chosen;
}

/** One form plan per candidate, returns borrowed from real tunes of the type and meter. */
function formSteering(
  model: ComposerModel,
  request: ComposeRequest,
  meter: Meter,
  rhythm: TuneType | undefined,
  grammar: TuneGrammar,
  rng: Rng,
): FormSteering {
  const templates = model.formTemplates?.matching(rhythm, meter, request.partBars) ?? [];
  const plans = Array.from({ length: request.candidates }, () =>
    planForm(request.form, request.partBars, templates, rng),
  );
  return new FormSteering(plans, grammar, model.table);
}

/** A seed of whole parts of `bars` bars each, opening (each) with a pickup or not. */
interface SeedParts {
  readonly bars: number;
  readonly pickup?: Rational;
  /** Which of the seed's measures are pickups (they are not bars of a part). */
  readonly pickupMeasures: readonly number[];
}

/** The seed's parts, when it is whole parts of equal length that `bars` new bars can extend. */
function seedPartsOf(tune: Tune, bars: number): SeedParts | undefined {
  const n = closedPartBars(tune);
  if (n === undefined || bars % n !== 0) return undefined;
  const pickups = partPickups(tune);
  return pickups
    ? { bars: n, pickup: pickups.length, pickupMeasures: pickups.measures }
    : { bars: n, pickupMeasures: [] };
}

/**
 * A seed that is whole parts of equal length (one part, or AABB…) is continued part by
 * part: new parts of the same length, repeated as its last part was, borrowing returns from
 * a real tune's form with the seed's own bars as the earlier material. A seed that stops
 * mid-part (or whose bars cannot be matched to its tokens) is continued freely.
 */
function partSteering(
  model: ComposerModel,
  request: ComposeRequest,
  seed: PreparedSeed,
  seedParts: SeedParts | undefined,
  prompt: readonly string[],
  meter: Meter,
  rhythm: TuneType | undefined,
  grammar: TuneGrammar,
  start: DecodeState,
  rng: Rng,
): FormSteering | undefined {
  if (!seedParts || start.pos !== 0) return undefined;
  const n = seedParts.bars;
  const seedForm = analyseForm(seed.tune);
  const pickups = new Set(seedParts.pickupMeasures);
  const bars = barSegments(prompt, model.vocabulary, model.table).filter((_, i) => !pickups.has(i));
  if (bars.length !== seedForm.bars.length) return undefined;
  const repeat = seedForm.partRepeats.at(-1) ?? false;
  const total = seedForm.partBars.length + request.bars / n;
  // The seed's parts, then the new ones, each doubled where it repeats: "AABB" + "CC".
  const repeats = Array.from({ length: total }, (_, i) => seedForm.partRepeats[i] ?? repeat);
  const form = parseForm(repeats.map((r, i) => String.fromCharCode(65 + i).repeat(r ? 2 : 1)).join(""));
  const templates = model.formTemplates?.matching(rhythm, meter, n) ?? [];
  const plans = Array.from({ length: request.candidates }, () => planForm(form, n, templates, rng));
  return new FormSteering(plans, grammar, model.table, bars);
}

/** The prompt's music split at its bar lines into token ids per bar (empty stretches dropped). */
function barSegments(prompt: readonly string[], vocabulary: Vocabulary, table: TokenTable): number[][] {
  const music = prompt.filter((t) => t !== BOS && !/^[MKR]:/.test(t));
  const out: number[][] = [];
  let current: number[] = [];
  for (const id of vocabulary.encode(music)) {
    if (table.classes[id]?.kind === "bar") {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(id);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The grammar's pitch identity of the last note token in the prompt (a tie must land on it). */
function lastPitchClass(
  prompt: readonly string[],
  vocabulary: Vocabulary,
  table: TokenTable,
): number | undefined {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const id = vocabulary.id(prompt[i] as string);
    const c = id === undefined ? undefined : table.classes[id];
    if (c?.kind === "note") return c.pitch;
  }
  return undefined;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}
