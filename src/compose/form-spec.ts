/**
 * A tune's form as users write it: `AABB`, `AB`, `AABBCC`, `ABAC`… Each letter is a part
 * of the same length; a letter doubled (`AA`) is a part played twice, written once between
 * repeat signs; a letter that comes back later (`ABAC`) is the part written out again.
 */
export interface FormSection {
  /** The part's letter. */
  readonly label: string;
  /** Played twice: written once, closed by a repeat sign. */
  readonly repeat: boolean;
  /** Index of the earlier written section this one restates, for a returning part. */
  readonly restates?: number;
}

export interface FormSpec {
  /** The form as given, normalised: "AABB". */
  readonly name: string;
  /** Sections as written (a repeated part is one section). */
  readonly sections: readonly FormSection[];
}

/** Past six distinct parts or 16 bars a part, form-controlled generation degrades (TunesFormer). */
export const FORM_LIMITS = { parts: 6, length: 12, partBars: { min: 2, max: 16 } } as const;

export class FormError extends Error {}

export function parseForm(text: string): FormSpec {
  const name = text.trim().toUpperCase().replace(/\s+/g, "");
  const example = "e.g. AABB, AB, AABBCC or ABAC";
  if (!/^[A-Z]+$/.test(name)) throw new FormError(`form must be part letters, ${example} (got "${text}")`);
  if (name.length > FORM_LIMITS.length)
    throw new FormError(`form can have at most ${FORM_LIMITS.length} letters (got ${name.length})`);
  const sections: FormSection[] = [];
  const firstSection = new Map<string, number>();
  for (let i = 0; i < name.length; ) {
    const label = name[i] as string;
    const expected = String.fromCharCode(65 + firstSection.size);
    if (!firstSection.has(label) && label !== expected)
      throw new FormError(
        `form must introduce its parts in order, A first, then B… (${example}; got "${text}")`,
      );
    let run = 1;
    while (name[i + run] === label) run++;
    if (run > 2) throw new FormError(`a part is played at most twice in a row (got "${label.repeat(run)}")`);
    const restates = firstSection.get(label);
    if (restates === undefined) firstSection.set(label, sections.length);
    sections.push({ label, repeat: run === 2, ...(restates !== undefined ? { restates } : {}) });
    i += run;
  }
  if (firstSection.size > FORM_LIMITS.parts)
    throw new FormError(
      `form can have at most ${FORM_LIMITS.parts} different parts (got ${firstSection.size})`,
    );
  return { name, sections };
}

/** How the form reads to a player: "AABB: 2 parts of 8 bars, each played twice". */
export function describeForm(form: FormSpec, partBars: number): string {
  const parts = new Set(form.sections.map((s) => s.label)).size;
  const repeats = form.sections.every((s) => s.repeat)
    ? ", each played twice"
    : form.sections.some((s) => s.repeat)
      ? ", some played twice"
      : "";
  return `${form.name}: ${parts} part${parts === 1 ? "" : "s"} of ${partBars} bars${repeats}`;
}
