import type { Rng } from "../model/rng.js";
import type { FormTemplate } from "../music/form.js";
import { type BarType, type Meter, meterName } from "../music/tune.js";
import type { TuneType } from "../music/tune-type.js";
import type { FormSpec } from "./form-spec.js";
import { shippedTable } from "./shipped.js";

/**
 * The plan a composed tune follows: the bar line closing every bar (repeat signs at the
 * ends of repeated parts) and which bars restate earlier ones. The returns are borrowed
 * from a real tune of the same type (a template from the training corpus), so a tune
 * comes back to its phrases as often, and in the places, real tunes do; the model writes
 * every bar that is not a return.
 */
export interface FormPlan {
  readonly form: FormSpec;
  readonly partBars: number;
  /** Per written bar: the bar line that closes it. */
  readonly closing: readonly BarType[];
  /** Per written bar: the earlier bar it restates, or -1 for a bar the model writes freely. */
  readonly copies: readonly number[];
}

export const FORM_TEMPLATES_FORMAT = "tunesmith-form-templates/1";
const SHIPPED_FILE = "form-templates.json";

export class FormTemplates {
  constructor(readonly templates: readonly FormTemplate[]) {}

  /** The templates shipped in the project's models/ folder; undefined when they are missing. */
  static shipped(): FormTemplates | undefined {
    const templates = shippedTable<FormTemplate>(SHIPPED_FILE, FORM_TEMPLATES_FORMAT, "templates");
    return templates && new FormTemplates(templates);
  }

  /** The best-matching templates: same type and bars per part, else same meter, else same bars. */
  matching(type: TuneType | undefined, meter: Meter, partBars: number): FormTemplate[] {
    const sameBars = this.templates.filter((t) => t.partBars === partBars && t.parts >= 2);
    const name = meterName(meter);
    const tiers = [
      sameBars.filter((t) => type !== undefined && t.type === type && t.meter === name),
      sameBars.filter((t) => type !== undefined && t.type === type),
      sameBars.filter((t) => t.meter === name),
      sameBars,
    ];
    return tiers.find((t) => t.length > 0) ?? [];
  }
}

/** A plan for the requested form, its returns drawn from `templates` (a generic plan when none fits). */
export function planForm(
  form: FormSpec,
  partBars: number,
  templates: readonly FormTemplate[],
  rng: Rng,
): FormPlan {
  const template = templates.length > 0 ? templates[Math.floor(rng.next() * templates.length)] : undefined;
  const n = partBars;
  const closing: BarType[] = [];
  const copies: number[] = [];
  // Distinct parts in order of appearance: written section → part ordinal.
  const ordinal: number[] = [];
  const firstSectionOf: number[] = [];
  form.sections.forEach((s, i) => {
    if (s.restates === undefined) {
      ordinal.push(firstSectionOf.length);
      firstSectionOf.push(i);
    } else {
      ordinal.push(ordinal[s.restates] as number);
    }
  });
  form.sections.forEach((section, s) => {
    const last = s === form.sections.length - 1;
    for (let b = 0; b < n; b++) {
      closing.push(b < n - 1 ? "|" : section.repeat ? ":|" : last ? "|]" : "||");
      if (section.restates !== undefined) {
        copies.push(section.restates * n + b);
        continue;
      }
      copies.push(
        template ? borrowedCopy(template, ordinal[s] as number, b, n, firstSectionOf) : genericCopy(s, b, n),
      );
    }
  });
  return { form, partBars, closing, copies };
}

/**
 * Bar `b` of part `part` restates what the template's corresponding bar restates: the same
 * bar of the same part, or the bar as many parts back as in the template. A template with
 * fewer parts lends its last part's pattern to the parts beyond.
 */
function borrowedCopy(
  template: FormTemplate,
  part: number,
  b: number,
  n: number,
  firstSectionOf: readonly number[],
): number {
  const r = Math.min(part, template.parts - 1);
  const source = template.copies[r * n + b] ?? -1;
  if (source < 0) return -1;
  const sourcePart = part - (r - Math.floor(source / n));
  const section = firstSectionOf[sourcePart];
  return sourcePart >= 0 && section !== undefined ? section * n + (source % n) : -1;
}

/** Without templates: the second half of a part opens as the first did, later parts close as the first. */
function genericCopy(section: number, b: number, n: number): number {
  const half = Math.floor(n / 2);
  if (n >= 4 && b >= half && b < n - 2) return section * n + (b - half);
  if (section > 0 && b === n - 1) return n - 1;
  return -1;
}
