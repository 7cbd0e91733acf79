/**
 * Tune types (ABC's R: "rhythm" field): the dance or song form a tune is played as. Two
 * types can share a meter (polka and march, reel and hornpipe), so the model is
 * conditioned on the type as well as the meter: it is written as a token after the mode.
 */
export const TUNE_TYPES = [
  "reel",
  "jig",
  "slip jig",
  "slide",
  "hornpipe",
  "polka",
  "march",
  "waltz",
  "mazurka",
  "air",
  "set dance",
] as const;

export type TuneType = (typeof TUNE_TYPES)[number];

/** Spellings seen in collections' R: fields and type ids, mapped to one type. */
const SYNONYMS: Record<string, TuneType> = {
  "double jig": "jig",
  "single jig": "jig",
  slipjig: "slip jig",
  "slip-jig": "slip jig",
  "hop jig": "slip jig",
  setdance: "set dance",
  "set-dance": "set dance",
  "long dance": "set dance",
  "slow air": "air",
  song: "air",
};

/** "Reel", "double jig", "slipjig" → the type; anything else → undefined. */
export function tuneTypeOf(text: string): TuneType | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, " ");
  if ((TUNE_TYPES as readonly string[]).includes(t)) return t as TuneType;
  return SYNONYMS[t];
}

export const RHYTHM_TOKEN_PREFIX = "R:";

export const rhythmToken = (type: TuneType): string => `${RHYTHM_TOKEN_PREFIX}${type.replace(" ", "-")}`;

export function parseRhythmToken(token: string): TuneType | undefined {
  if (!token.startsWith(RHYTHM_TOKEN_PREFIX)) return undefined;
  const name = token.slice(RHYTHM_TOKEN_PREFIX.length).replace("-", " ");
  return (TUNE_TYPES as readonly string[]).includes(name) ? (name as TuneType) : undefined;
}
