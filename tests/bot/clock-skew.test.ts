/**
 * A host whose clock is wrong: the emulator stamps ids and `Date` headers with a Discord
 * clock 20 minutes or 5 seconds away from the host's. Every /compose must still be deferred
 * and answered, and how far off the host clock is must be logged once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, newUser, startHarness, tuneMessage } from "./harness.js";

const MINUTE = 60_000;

describe.each([
  ["20 minutes ahead", 20 * MINUTE],
  ["20 minutes behind", -20 * MINUTE],
  ["5 seconds ahead", 5_000],
  ["5 seconds behind", -5_000],
])("with the host clock %s of Discord's", (_name, hostAheadMs) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ poolSize: 1, emulator: { clockOffsetMs: -hostAheadMs } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("defers and answers every /compose, and logs the skew once", async () => {
    for (let i = 0; i < 3; i++) {
      const run = h.emulator.slash("compose", { options: { bars: 4 }, user: newUser() });
      expect(await run.deferred()).toBeLessThan(3000);
      const shown = await tuneMessage(run);
      expect(shown.files.map((f) => f.name)).toContain("tune.abc");
    }
    const skewLines = h.logs.filter((l) => typeof l.hostClockAheadMs === "number");
    expect(skewLines).toHaveLength(1);
    // A Date header counts whole seconds; an id is stamped shortly before it arrives.
    expect(Math.abs((skewLines[0]?.hostClockAheadMs as number) - hostAheadMs)).toBeLessThan(1_500);
    expect(skewLines[0]?.msg).toMatch(
      Math.abs(hostAheadMs) >= MINUTE
        ? new RegExp(`host clock is 20 min \\d+ s ${hostAheadMs > 0 ? "ahead of" : "behind"} Discord's`)
        : new RegExp(`host clock is [456] s ${hostAheadMs > 0 ? "ahead of" : "behind"} Discord's`),
    );
    // No reply was given up as too late.
    expect(h.logs.filter((l) => /no longer accepts|too late|expired/i.test(l.msg))).toEqual([]);
  });
});
