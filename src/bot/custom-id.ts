import { LIMITS } from "../compose/request.js";
import { STYLE_NAMES, type StyleName } from "../compose/styles.js";
import {
  ACCOMPANIMENT_NAMES,
  type AccompanimentName,
  DEFAULT_ACCOMPANIMENT,
  INSTRUMENT_NAMES,
  type InstrumentName,
} from "../render/instruments.js";

/**
 * Buttons must keep working after a restart, so everything a button needs travels in its
 * custom id (Discord allows 100 characters): `c1:<action>:<settings>`, where settings are
 * dot-separated fields, each a one-letter tag and a value:
 *
 *   c1:hot:t120.sjig.kADor.ifiddle.b16.p112.v1kz3ab.d7
 *
 * t temperature ×100, s style, k key (ABC spelling), i instrument, b bars, p tempo,
 * v seed value (base 36), f form (absent on buttons older than forms: the style's usual one),
 * d stored seed id (base 36, only for tunes composed from a seed), h0 chords off, a accompaniment
 * and r1 bodhrán (each only when not the default, so older buttons read the same).
 * Names, not indexes, so reordering the style or instrument lists breaks no old button.
 * "c1" is the format version: a new format gets a new prefix and old buttons say so.
 */
export const COMPOSE_PREFIX = "c1";
export const CUSTOM_ID_MAX = 100;

export const TUNE_ACTIONS = ["again", "more", "hot", "cool", "submit"] as const;
export type TuneAction = (typeof TUNE_ACTIONS)[number];

export interface TuneSettings {
  readonly temperature: number;
  readonly style: StyleName;
  /** ABC spelling, e.g. "D", "Em", "ADor". */
  readonly key: string;
  readonly instrument: InstrumentName;
  readonly bars: number;
  readonly tempo: number;
  readonly seedValue: number;
  /** "AABB"; absent: the style's usual form. */
  readonly form?: string;
  /** The store's id of the seed the tune was composed from. */
  readonly seedId?: number;
  /** False for chords:off (absent: on). */
  readonly chords?: boolean;
  /** Absent: the default accompaniment. */
  readonly accompaniment?: AccompanimentName;
  /** True when a bodhrán plays (absent: none). */
  readonly bodhran?: boolean;
}

export interface TuneButton {
  readonly action: TuneAction;
  /** Absent for actions that need nothing but the message (submit). */
  readonly settings?: TuneSettings;
}

export function encodeTuneButton({ action, settings }: TuneButton): string {
  const id = settings
    ? `${COMPOSE_PREFIX}:${action}:${encodeSettings(settings)}`
    : `${COMPOSE_PREFIX}:${action}`;
  if (id.length > CUSTOM_ID_MAX) throw new RangeError(`custom id too long (${id.length}): ${id}`);
  return id;
}

function encodeSettings(s: TuneSettings): string {
  const fields = [
    `t${Math.round(s.temperature * 100)}`,
    `s${s.style.replace(/ /g, "_")}`,
    `k${s.key}`,
    `i${s.instrument}`,
    `b${s.bars}`,
    `p${s.tempo}`,
    `v${s.seedValue.toString(36)}`,
  ];
  if (s.form !== undefined) fields.push(`f${s.form}`);
  if (s.seedId !== undefined) fields.push(`d${s.seedId.toString(36)}`);
  if (s.chords === false) fields.push("h0");
  if (s.accompaniment !== undefined && s.accompaniment !== DEFAULT_ACCOMPANIMENT)
    fields.push(`a${s.accompaniment}`);
  if (s.bodhran) fields.push("r1");
  return fields.join(".");
}

/** The button, or undefined for an id this version cannot read (another format, tampered). */
export function decodeTuneButton(customId: string): TuneButton | undefined {
  const [prefix, action, payload, ...rest] = customId.split(":");
  if (prefix !== COMPOSE_PREFIX || rest.length > 0) return undefined;
  if (!(TUNE_ACTIONS as readonly string[]).includes(action ?? "")) return undefined;
  if (payload === undefined) return { action: action as TuneAction };
  const settings = decodeSettings(payload);
  return settings ? { action: action as TuneAction, settings } : undefined;
}

function decodeSettings(payload: string): TuneSettings | undefined {
  const fields = new Map<string, string>();
  for (const field of payload.split(".")) {
    if (field.length < 2 || fields.has(field[0] as string)) return undefined;
    fields.set(field[0] as string, field.slice(1));
  }
  const int = (tag: string, radix = 10): number | undefined => {
    const text = fields.get(tag);
    if (text === undefined || !(radix === 36 ? /^[0-9a-z]+$/ : /^\d+$/).test(text)) return undefined;
    const n = Number.parseInt(text, radix);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const hundredths = int("t");
  const style = fields.get("s")?.replace(/_/g, " ");
  const key = fields.get("k");
  const instrument = fields.get("i");
  const bars = int("b");
  const tempo = int("p");
  const seedValue = int("v", 36);
  const seedId = fields.has("d") ? int("d", 36) : undefined;
  const form = fields.get("f");
  const chords = fields.get("h");
  const accompaniment = fields.get("a");
  const bodhran = fields.get("r");
  if (
    hundredths === undefined ||
    !(STYLE_NAMES as readonly string[]).includes(style ?? "") ||
    key === undefined ||
    !/^[A-G][#b]?[A-Za-z]*$/.test(key) ||
    !(INSTRUMENT_NAMES as readonly string[]).includes(instrument ?? "") ||
    bars === undefined ||
    tempo === undefined ||
    seedValue === undefined ||
    (fields.has("d") && seedId === undefined) ||
    (form !== undefined && !/^[A-Z]{1,12}$/.test(form)) ||
    (chords !== undefined && chords !== "0") ||
    (bodhran !== undefined && bodhran !== "1") ||
    (accompaniment !== undefined && !(ACCOMPANIMENT_NAMES as readonly string[]).includes(accompaniment))
  )
    return undefined;
  return {
    temperature: hundredths / 100,
    style: style as StyleName,
    key,
    instrument: instrument as InstrumentName,
    bars,
    tempo,
    seedValue,
    ...(form !== undefined ? { form } : {}),
    ...(seedId !== undefined ? { seedId } : {}),
    ...(chords === "0" ? { chords: false } : {}),
    ...(accompaniment !== undefined ? { accompaniment: accompaniment as AccompanimentName } : {}),
    ...(bodhran === "1" ? { bodhran: true } : {}),
  };
}

/** Hotter/Cooler step, and the temperature after it (clamped to what requests allow). */
export const TEMPERATURE_STEP = 0.3;

export function stepTemperature(temperature: number, direction: 1 | -1): number {
  const next = temperature + direction * TEMPERATURE_STEP;
  const clamped = Math.min(LIMITS.temperature.max, Math.max(LIMITS.temperature.min, next));
  return Math.round(clamped * 100) / 100;
}
