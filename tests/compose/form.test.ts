import { describe, expect, it } from "vitest";
import { planForm } from "../../src/compose/form-plan.js";
import { FormError, parseForm } from "../../src/compose/form-spec.js";
import { Rng } from "../../src/model/rng.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { analyseForm, formTemplateOf, similarity } from "../../src/music/form.js";

const tune = (body: string, header = "M:4/4\nL:1/8\nK:D") => parseAbc(`X:1\nT:t\n${header}\n${body}\n`);

describe("forms as users write them", () => {
  it("reads doubled letters as repeated parts and returning letters as restated parts", () => {
    expect(parseForm("aabb").sections).toEqual([
      { label: "A", repeat: true },
      { label: "B", repeat: true },
    ]);
    expect(parseForm("ABAC").sections).toEqual([
      { label: "A", repeat: false },
      { label: "B", repeat: false },
      { label: "A", repeat: false, restates: 0 },
      { label: "C", repeat: false },
    ]);
    expect(parseForm("AABBCC").sections.length).toBe(3);
  });

  it("refuses forms it cannot honour, saying why", () => {
    expect(() => parseForm("BA")).toThrow(/in order/);
    expect(() => parseForm("AAAB")).toThrow(/at most twice/);
    expect(() => parseForm("ABCDEFG")).toThrow(/at most 6 different parts/);
    expect(() => parseForm("A1")).toThrow(FormError);
    expect(() => parseForm("ABABABABABABA")).toThrow(/at most 12 letters/);
  });
});

describe("the form of a written tune", () => {
  // A part: bars 1 2 1 3; B part: 4 5 4 3 (its close borrowed from A); both repeated.
  const known = tune("|:DFAF DFAF|GBdB GBdB|DFAF DFAF|A2F2 D4:|\n|:fafa fafa|gbgb gbgb|fafa fafa|A2F2 D4:|");

  it("finds the parts, their repeats and which bars return", () => {
    const form = analyseForm(known);
    expect(form.partBars).toEqual([4, 4]);
    expect(form.partRepeats).toEqual([true, true]);
    expect(form.copies).toEqual([-1, -1, 0, -1, -1, -1, 4, 3]);
    expect(form.barRepeatShare).toBeCloseTo(3 / 7);
    // Phrases (bars 1–2, 3–4, 5–6, 7–8): none repeats exactly.
    expect(form.phraseRepeatShare).toBe(0);
    expect(form.cadenceShare).toBe(1);
  });

  it("counts a pickup out and the short bar completing it in", () => {
    const form = analyseForm(tune("A|DFAF DFAF|GBdB GBdB|DFAF DFAF|A2F2 D3:|"));
    expect(form.partBars).toEqual([4]);
    expect(form.bars[0]?.content[0]).toBe("62:1/8");
  });

  it("keeps a second ending in the part its first ending opened", () => {
    const form = analyseForm(
      tune("|:DFAF DFAF|GBdB GBdB|[1 A2F2 D4:|[2 A2F2 d4||fafa fafa|gbgb gbgb|fafa fafa|d8|]"),
    );
    expect(form.partBars).toEqual([4, 4]);
    expect(form.partRepeats).toEqual([true, false]);
  });

  it("measures how alike parts are, halves for a one-part tune", () => {
    expect(similarity(["a", "b", "c", "d"], ["a", "b", "x", "d"])).toBeCloseTo(0.75);
    expect(similarity([], [])).toBe(1);
    const twoHalves = analyseForm(tune("DFAF DFAF|GBdB GBdB|DFAF DFAF|GBdB GBdB|]"));
    expect(twoHalves.partSimilarity).toBe(1);
  });

  it("gives a template only when the parts are equal", () => {
    expect(formTemplateOf(known)).toMatchObject({ meter: "4/4", partBars: 4, parts: 2 });
    expect(formTemplateOf(tune("|:DFAF DFAF|GBdB GBdB:|fafa fafa|gbgb gbgb|fafa fafa|]"))).toBeUndefined();
  });
});

describe("form plans", () => {
  const template = { meter: "4/4", partBars: 4, parts: 2, copies: [-1, -1, 0, -1, -1, -1, 4, 3] };

  it("close every part with its planned bar line and borrow the template's returns", () => {
    const plan = planForm(parseForm("AABB"), 4, [template], new Rng(1));
    expect(plan.closing).toEqual(["|", "|", "|", ":|", "|", "|", "|", ":|"]);
    expect(plan.copies).toEqual(template.copies);
  });

  it("write a returning part out as a copy and lend the last part's pattern to parts beyond", () => {
    const plan = planForm(parseForm("ABAC"), 4, [template], new Rng(1));
    expect(plan.closing).toEqual([
      "|",
      "|",
      "|",
      "||",
      "|",
      "|",
      "|",
      "||",
      "|",
      "|",
      "|",
      "||",
      "|",
      "|",
      "|",
      "|]",
    ]);
    // A restated: bars 8–11 are bars 0–3; C (the third part) copies within itself and closes as B did.
    expect(plan.copies.slice(8, 12)).toEqual([0, 1, 2, 3]);
    expect(plan.copies.slice(12)).toEqual([-1, -1, 12, 7]);
  });

  it("fall back to a generic plan of returns without templates", () => {
    const plan = planForm(parseForm("AB"), 8, [], new Rng(1));
    expect(plan.copies).toEqual([-1, -1, -1, -1, 0, 1, -1, -1, -1, -1, -1, -1, 8, 9, -1, 7]);
  });
});
