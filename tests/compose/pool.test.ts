import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComposePool } from "../../src/compose/pool.js";
import { validateRequest } from "../../src/compose/request.js";
import { ComposeClosedError, ComposeFailedError } from "../../src/compose/service.js";
import { parseAbc } from "../../src/music/abc-read.js";

const modelDir = fileURLToPath(new URL("../../models/folk-styles-2x256", import.meta.url));
const quick = { audio: false, score: false } as const;

let pool: ComposePool;
beforeAll(async () => {
  pool = await ComposePool.start({ size: 1, modelDir, backend: "wasm" });
}, 60_000);
afterAll(async () => {
  await pool.close();
});

describe("the compose worker pool", () => {
  it("composes off the main thread: timers keep firing while the model works", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const { position, result } = pool.submit(
      validateRequest({ bars: 32, candidates: 8, seedValue: 3 }),
      quick,
    );
    const composed = await result;
    clearInterval(timer);
    expect(position).toBe(0);
    expect(composed.tune.elements.length).toBeGreaterThan(0);
    expect(composed.renderings.midi.length).toBeGreaterThan(0);
    // A 32-bar tune at best of 8 takes well over 50 ms; a blocked event loop would count none.
    expect(ticks).toBeGreaterThan(Math.floor(composed.timings.totalMs / 50));
  });

  it("queues work beyond its size and tells each caller its place", async () => {
    const jobs = [1, 2, 3].map((seedValue) => pool.submit(validateRequest({ bars: 4, seedValue }), quick));
    expect(jobs.map((j) => j.position)).toEqual([0, 1, 2]);
    expect(pool.waiting).toBe(2);
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results.map((r) => r.request.seedValue)).toEqual([1, 2, 3]);
    expect(pool.waiting).toBe(0);
  });

  it("passes a user's mistake back with its message", async () => {
    const seed = parseAbc("X:1\nT:Five\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|");
    const failure = await pool.submit(validateRequest({ seed }), quick).result.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ComposeFailedError);
    expect(failure).toMatchObject({ userFacing: true, message: expect.stringMatching(/5\/4/) });
  });

  it("renders an existing tune in the same queue", async () => {
    const tune = parseAbc("X:1\nT:Given\nM:6/8\nL:1/8\nK:G\nGAB cBA|BAG D3|GAB cBA|G3 G3|]");
    const renderings = await pool.render(tune, { instrument: "flute", audio: false }).result;
    expect(renderings.abc).toContain("T:Given");
    expect(new TextDecoder().decode(renderings.midi.subarray(0, 4))).toBe("MThd");
    expect(renderings.png?.subarray(1, 4)).toEqual(new TextEncoder().encode("PNG"));
  });

  it("hot-reloads another model: the composition in flight finishes on the old one", async () => {
    const before = pool.model.version;
    const inFlight = pool.submit(validateRequest({ bars: 32, candidates: 8, seedValue: 5 }), quick);
    const reloaded = pool.reload({ modelDir, modelVersion: "v-test" });
    const queued = pool.submit(validateRequest({ bars: 4, seedValue: 6 }), quick);
    expect((await inFlight.result).model.version).toBe(before);
    await expect(reloaded).resolves.toMatchObject({ version: "v-test" });
    expect((await queued.result).model.version).toBe("v-test");
    expect(pool.model.version).toBe("v-test");
  });

  it("keeps its model when a reload cannot load, and goes on composing", async () => {
    const missing = fileURLToPath(new URL("../fixtures/no-such-model", import.meta.url));
    await expect(pool.reload({ modelDir: missing, modelVersion: "broken" })).rejects.toThrow(
      /could not load model version broken/,
    );
    const after = await pool.submit(validateRequest({ bars: 4, seedValue: 7 }), quick).result;
    expect(after.model.version).toBe("v-test");
    expect(pool.model.version).toBe("v-test");
  });

  it("on close finishes the running job and refuses the queued ones", async () => {
    const running = pool.submit(validateRequest({ bars: 8, seedValue: 9 }), quick);
    const queued = pool.submit(validateRequest({ bars: 8, seedValue: 10 }), quick);
    const queuedOutcome = queued.result.catch((e: unknown) => e);
    await pool.close();
    await expect(running.result).resolves.toMatchObject({ request: { seedValue: 9 } });
    expect(await queuedOutcome).toBeInstanceOf(ComposeClosedError);
    expect(() => pool.submit(validateRequest({}), quick)).toThrow(ComposeClosedError);
  });
});
