import { Rng } from "../model/rng.js";
import { closedPartBars } from "../music/form.js";
import { type Key, KeyParseError, parseKey } from "../music/key.js";
import type { Tune } from "../music/tune.js";
import {
  ACCOMPANIMENT_NAMES,
  type AccompanimentName,
  DEFAULT_ACCOMPANIMENT,
  INSTRUMENTS,
  type InstrumentName,
} from "../render/instruments.js";
import { FORM_LIMITS, FormError, type FormSpec, parseForm } from "./form-spec.js";
import { STYLE_NAMES, STYLES, type Style, type StyleName } from "./styles.js";

/**
 * What a user may ask for, as it arrives from a slash command or the command line
 * (strings or numbers, anything may be missing), and the validated request the
 * service works with. Every problem is reported at once, each naming what is allowed.
 */
export interface ComposeInput {
  readonly temperature?: number | string;
  readonly style?: string;
  readonly key?: string;
  readonly bars?: number | string;
  /** Parts and repeats: "AABB", "AB", "ABAC"… (the style's usual form when not given). */
  readonly form?: string;
  readonly instrument?: string;
  readonly tempo?: number | string;
  readonly topP?: number | string;
  readonly candidates?: number | string;
  readonly seedValue?: number | string;
  readonly seed?: Tune;
  /** "on" (default) or "off", or a boolean. */
  readonly chords?: boolean | string;
  readonly accompaniment?: string;
  /** "on" or "off" (default), or a boolean. */
  readonly bodhran?: boolean | string;
}

export interface ComposeRequest {
  readonly temperature: number;
  readonly style: StyleName;
  readonly key: Key;
  /** Bars written in the score: every section once (a repeated part is written once). */
  readonly bars: number;
  /** The tune's parts; bars split evenly among its written sections. */
  readonly form: FormSpec;
  readonly partBars: number;
  readonly instrument: InstrumentName;
  /** Beats per minute, counting the meter's beat (a dotted quarter in a jig, a half in a reel). */
  readonly tempo: number;
  readonly topP: number;
  readonly candidates: number;
  readonly seedValue: number;
  /** Most tokens one candidate may sample (bars × the operator's tokens per bar). */
  readonly maxTokens: number;
  readonly seed?: Tune;
  /** Harmonise the tune: chord symbols in the ABC and score, a backing in the MIDI and audio. */
  readonly chords: boolean;
  /** What plays the backing. */
  readonly accompaniment: AccompanimentName;
  /** A bodhrán under the tune (MIDI and audio). */
  readonly bodhran: boolean;
}

export const COMPOSE_MODES = ["major", "minor", "dorian", "mixolydian"] as const;

export const LIMITS = {
  temperature: { min: 0.1, max: 3, default: 1 },
  /** `max` is the ceiling the slash command offers; an operator may set a lower one (RequestLimits). */
  bars: { min: 4, max: 64, default: 16 },
  tempo: { min: 30, max: 300 },
  topP: { min: 0.1, max: 1, default: 1 },
  candidates: { min: 1, max: 16, default: 8 },
} as const;

export const DEFAULTS = { style: "reel", key: "D major", instrument: "fiddle" } as const;

/** What one request may cost, set by the operator (MAX_REQUEST_BARS, MAX_TOKENS_PER_BAR). */
export interface RequestLimits {
  /** Most bars a user may ask for, at most LIMITS.bars.max. */
  readonly maxBars: number;
  /**
   * Sampling budget per bar asked for: a hard bound on the work of one generation. The
   * corpus averages under 10 tokens a bar; a tune that cannot fit is refused before sampling.
   */
  readonly tokensPerBar: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxBars: LIMITS.bars.max, tokensPerBar: 48 };

export class RequestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
  }
}

export function validateRequest(
  input: ComposeInput,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  random: () => number = Math.random,
): ComposeRequest {
  // Every problem is collected, in the order of the fields, so the user fixes them all at once.
  const problems: string[] = [];
  const number = (
    name: string,
    value: number | string | undefined,
    range: { min: number; max: number },
    fallback: number,
    integer = false,
  ) => readNumber(problems, name, value, range, fallback, integer);
  const style = readChoice(problems, "style", input.style, STYLE_NAMES, DEFAULTS.style);
  const instrument = readChoice(
    problems,
    "instrument",
    input.instrument,
    Object.keys(INSTRUMENTS) as InstrumentName[],
    DEFAULTS.instrument,
  );
  const key = parseRequestKey(input.key, problems);
  const seedValue =
    input.seedValue === undefined || input.seedValue === ""
      ? Math.floor(random() * 2 ** 32)
      : number("seedValue", input.seedValue, { min: 0, max: 2 ** 32 - 1 }, 0, true);
  const maxBars = Math.min(limits.maxBars, LIMITS.bars.max);
  const { form, bars, partBars } = formAndLength(input, style, seedValue, maxBars, problems);
  const request: ComposeRequest = {
    temperature: number("temperature", input.temperature, LIMITS.temperature, LIMITS.temperature.default),
    style,
    key,
    bars,
    form,
    partBars,
    instrument,
    tempo: number("tempo", input.tempo, LIMITS.tempo, STYLES[style].bpm),
    topP: number("topP", input.topP, LIMITS.topP, LIMITS.topP.default),
    candidates: number("candidates", input.candidates, LIMITS.candidates, LIMITS.candidates.default, true),
    seedValue,
    maxTokens: bars * limits.tokensPerBar,
    ...(input.seed ? { seed: input.seed } : {}),
    chords: onOff("chords", input.chords, problems),
    accompaniment: readChoice(
      problems,
      "accompaniment",
      input.accompaniment,
      ACCOMPANIMENT_NAMES,
      DEFAULT_ACCOMPANIMENT,
    ),
    bodhran: onOff("bodhran", input.bodhran, problems, false),
  };
  if (problems.length > 0) throw new RequestError(problems);
  return request;
}

/** A number in range, or the fallback (with a problem noted when one was given but is out of range). */
function readNumber(
  problems: string[],
  name: string,
  value: number | string | undefined,
  range: { min: number; max: number },
  fallback: number,
  integer = false,
): number {
  if (value === undefined || value === "") return fallback;
  const n = typeof value === "number" ? value : Number(value.trim());
  const kind = integer ? "a whole number" : "a number";
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < range.min || n > range.max) {
    problems.push(`${name} must be ${kind} from ${range.min} to ${range.max} (got ${String(value)})`);
    return fallback;
  }
  return n;
}

/** One of `choices`, however it is cased or spaced ("Slip-jig", "slip_jig"), or the fallback. */
function readChoice<T extends string>(
  problems: string[],
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === "") return fallback;
  const normalised = value
    .trim()
    .toLowerCase()
    .replace(/[-_\s]+/g, " ");
  const found = choices.find((c) => c === normalised || c.replace(/ /g, "") === normalised.replace(/ /g, ""));
  if (!found) problems.push(`${name} must be one of ${choices.join(", ")} (got "${value}")`);
  return found ?? fallback;
}

/** Whether `total` bars split into the form's written parts, each of a length form control handles. */
function fitsIn(form: FormSpec, total: number): boolean {
  const { min, max } = FORM_LIMITS.partBars;
  const n = total / form.sections.length;
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * The form and the length: the form asked for, or one the style's tunes have; the bars
 * asked for, or the style's usual length of that form (a seed of whole parts is continued
 * by one more part as long). A length the form cannot take is refused when the form was
 * asked for, and makes the tune one free part when it was not.
 */
function formAndLength(
  input: ComposeInput,
  style: StyleName,
  seedValue: number,
  maxBars: number,
  problems: string[],
): { form: FormSpec; bars: number; partBars: number } {
  const explicitForm = input.form !== undefined && input.form.trim() !== "";
  const asked = input.bars === undefined || input.bars === "" ? undefined : Number(input.bars);
  let form = explicitForm
    ? askedForm(input.form as string, problems)
    : styleForm(style, asked, seedValue, maxBars);
  const sections = form.sections.length;
  const seedPart = input.seed ? closedPartBars(input.seed) : undefined;
  const usualBars =
    seedPart !== undefined && seedPart <= maxBars
      ? seedPart
      : Math.min(sections * STYLES[style].partBars, maxBars - (maxBars % sections));
  const bars = readNumber(
    problems,
    "bars",
    input.bars,
    { min: LIMITS.bars.min, max: maxBars },
    usualBars >= LIMITS.bars.min ? usualBars : Math.min(LIMITS.bars.default, maxBars),
    true,
  );
  if (fitsIn(form, bars)) return { form, bars, partBars: bars / sections };
  if (explicitForm) problems.push(unevenBars(form, bars, maxBars));
  form = parseForm("A");
  return { form, bars, partBars: bars };
}

function askedForm(text: string, problems: string[]): FormSpec {
  try {
    return parseForm(text);
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    problems.push(e.message);
    return parseForm("A");
  }
}

/**
 * One of the forms tunes of the style really have, in their proportions (the same for the
 * same seed value), among those the bars asked for split into. Parts no shorter than half
 * the style's usual length: 8 bars of a jig are AABB or AB, not four parts of two bars.
 */
function styleForm(
  style: StyleName,
  asked: number | undefined,
  seedValue: number,
  maxBars: number,
): FormSpec {
  const { forms, partBars: usual } = STYLES[style] as Style;
  const longEnough = (f: FormSpec, total: number) => total / f.sections.length >= usual / 2;
  const usable = forms
    .map(([name, tunes]) => [parseForm(name), tunes] as const)
    .filter(([f]) =>
      asked !== undefined ? fitsIn(f, asked) && longEnough(f, asked) : f.sections.length * usual <= maxBars,
    );
  return drawForm(usable, Rng.derive(seedValue, 0xf0f)) ?? parseForm("A");
}

/** The problem of a length that does not split into the form's parts, with the lengths that do. */
function unevenBars(form: FormSpec, bars: number, maxBars: number): string {
  const { min, max } = FORM_LIMITS.partBars;
  const sections = form.sections.length;
  const fits = [];
  for (let n = min; n <= max && n * sections <= maxBars; n++)
    if (n * sections >= LIMITS.bars.min) fits.push(n * sections);
  return `bars must split evenly into the ${sections} written part${sections === 1 ? "" : "s"} of form ${form.name}, ${min} to ${max} bars each: ${fits.join(", ") || "none fit this bot's limit"} (got ${bars})`;
}

function onOff(
  name: string,
  value: boolean | string | undefined,
  problems: string[],
  fallback = true,
): boolean {
  if (value === undefined || value === "") return fallback;
  if (typeof value === "boolean") return value;
  const v = value.trim().toLowerCase();
  if (["on", "yes", "true"].includes(v)) return true;
  if (["off", "no", "false"].includes(v)) return false;
  problems.push(`${name} must be on or off (got "${value}")`);
  return fallback;
}

/** A form drawn in proportion to how many tunes have it. */
function drawForm(forms: readonly (readonly [FormSpec, number])[], rng: Rng): FormSpec | undefined {
  const total = forms.reduce((n, [, tunes]) => n + tunes, 0);
  let r = rng.next() * total;
  for (const [form, tunes] of forms) {
    r -= tunes;
    if (r < 0) return form;
  }
  return forms.at(-1)?.[0];
}

function parseRequestKey(text: string | undefined, problems: string[]): Key {
  const allowed = `a tonic and a mode, e.g. "D", "E minor", "A dorian", "G mixolydian" (modes: ${COMPOSE_MODES.join(", ")})`;
  let key: Key;
  try {
    key = parseKey(text === undefined || text.trim() === "" ? DEFAULTS.key : text);
  } catch (e) {
    if (!(e instanceof KeyParseError)) throw e;
    problems.push(`key must be ${allowed} (got "${text}")`);
    return parseKey(DEFAULTS.key);
  }
  if (!(COMPOSE_MODES as readonly string[]).includes(key.mode)) {
    problems.push(`key must be ${allowed} (got "${text}")`);
  } else if (Math.abs(key.tonic.alter) > 1) {
    problems.push(`key must have a tonic with at most one sharp or flat (got "${text}")`);
  }
  return key;
}
