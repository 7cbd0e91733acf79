/**
 * Keys offered while typing /compose key: the ones folk tunes are mostly in (the
 * fiddle's and whistle's D, G and A families first), then the rest of the modes the
 * model composes in. Anything else the user types is still passed to validateRequest,
 * which says what is allowed.
 */
export const COMMON_KEYS = [
  "D major",
  "G major",
  "A major",
  "E minor",
  "A minor",
  "B minor",
  "E dorian",
  "A dorian",
  "D dorian",
  "B dorian",
  "G mixolydian",
  "A mixolydian",
  "D mixolydian",
  "C major",
  "F major",
  "Bb major",
  "E major",
  "D minor",
  "G minor",
  "F# minor",
  "G dorian",
  "C dorian",
  "E mixolydian",
  "C mixolydian",
] as const;

/** Discord shows at most 25 choices. */
const MAX_CHOICES = 25;

export function keySuggestions(typed: string): string[] {
  const query = typed.trim().toLowerCase().replace(/\s+/g, " ");
  if (query === "") return COMMON_KEYS.slice(0, MAX_CHOICES);
  const starts = COMMON_KEYS.filter((k) => k.toLowerCase().startsWith(query));
  const contains = COMMON_KEYS.filter((k) => !starts.includes(k) && k.toLowerCase().includes(query));
  const matches = [...starts, ...contains];
  // Whatever the user typed stays choosable (e.g. "C# dorian"); validation judges it.
  const own = matches.some((k) => k.toLowerCase() === query) ? [] : [typed.trim().slice(0, 20)];
  return [...own, ...matches].slice(0, MAX_CHOICES);
}
