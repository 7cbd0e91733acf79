import type { ButtonInteraction } from "discord.js";
import { describe, expect, it } from "vitest";
import type { BotContext } from "../../src/bot/context.js";
import type { TuneSettings } from "../../src/bot/custom-id.js";
import { UserFacingError } from "../../src/bot/error-replies.js";
import { variation } from "../../src/bot/tune-buttons.js";

/** What each button under a tune changes; the emulator tests (bot.test.ts) press them for real. */
const settings: TuneSettings = {
  temperature: 1.2,
  style: "jig",
  key: "ADor",
  instrument: "fiddle",
  bars: 16,
  tempo: 112,
  seedValue: 42,
  form: "AABB",
};
const interaction = { user: { id: "7", displayName: "Nora" } } as unknown as ButtonInteraction;
const stored = new Map<number, { fileName: string; bytes: Uint8Array }>([
  [3, { fileName: "seed.abc", bytes: new TextEncoder().encode("X:1\nT:Seed\nM:6/8\nK:G\nGAB dBG|\n") }],
]);
const bot = { store: { getSeed: (id: number) => stored.get(id) } } as unknown as BotContext;
const limits = { maxBytes: 1 << 20, maxNotes: 2000, maxBars: 128 } as Parameters<typeof variation>[4];

describe("the buttons under a tune", () => {
  it("Another one keeps every setting and the form, with a new seed value", async () => {
    const v = await variation("again", settings, interaction, bot, limits);
    expect({ ...v.next, seedValue: 0 }).toEqual({ ...settings, seedValue: 0 });
    expect(v.next.seedValue).not.toBe(42);
    expect(v.content).toBe("Another one (for Nora):");
    expect(v.seed).toBeUndefined();
  });

  it("Hotter and Cooler step the temperature by 0.3 and keep the seed value", async () => {
    const hot = await variation("hot", settings, interaction, bot, limits);
    const cool = await variation("cool", settings, interaction, bot, limits);
    expect([hot.next.temperature, cool.next.temperature]).toEqual([1.5, 0.9]);
    expect(hot.next.seedValue).toBe(42);
    expect(hot.content).toBe("Hotter: temperature 1.5 (for Nora):");
  });

  it("a tune composed from a seed is varied from the same stored seed, or says it is gone", async () => {
    const v = await variation("again", { ...settings, seedId: 3 }, interaction, bot, limits);
    expect(v.seed?.id).toBe(3);
    expect(v.seed?.tune.title).toBe("Seed");
    await expect(variation("cool", { ...settings, seedId: 4 }, interaction, bot, limits)).rejects.toThrow(
      UserFacingError,
    );
  });
});
