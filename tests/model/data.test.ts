import { describe, expect, it } from "vitest";
import { balanceTypes, MAX_TYPE_REPEATS } from "../../src/model/data.js";

describe("balancing tune types for training", () => {
  const tunes = [
    ...Array.from({ length: 300 }, (_, i) => ({ name: `reel ${i}`, type: "reel" })),
    ...Array.from({ length: 40 }, (_, i) => ({ name: `polka ${i}`, type: "polka" })),
    ...Array.from({ length: 5 }, (_, i) => ({ name: `waltz ${i}`, type: "waltz" })),
    ...Array.from({ length: 7 }, (_, i) => ({ name: `untyped ${i}`, type: undefined })),
  ];
  const count = (list: typeof tunes, type: string | undefined) => list.filter((t) => t.type === type).length;

  it("repeats the tunes of rare types towards the floor, at most MAX_TYPE_REPEATS times, and nothing else", () => {
    const balanced = balanceTypes(tunes, (t) => t.type, 200);
    expect(count(balanced, "reel")).toBe(300);
    expect(count(balanced, "polka")).toBe(40 * 5);
    expect(count(balanced, "waltz")).toBe(5 * MAX_TYPE_REPEATS);
    expect(count(balanced, undefined)).toBe(7);
    // Every tune of a repeated type appears equally often.
    const polka3 = balanced.filter((t) => t.name === "polka 3").length;
    expect(polka3).toBe(5);
  });

  it("with a floor of 0 is the tunes as they are", () => {
    expect(balanceTypes(tunes, (t) => t.type, 0)).toEqual(tunes);
  });
});
