/**
 * The bot under faults, end to end through the emulator: a storm of 429s, 5xx answers that
 * do not stop, slow REST, a dropped gateway, an interaction token that expires while its
 * tune is being composed, a composer thread that runs out of memory, an admin command from
 * a DM, and an error report that carries the token. In each case the user gets the reply
 * or a clear failure, the number of attempts is bounded, and the next /compose works.
 */
import { InteractionContextType } from "discord-api-types/v10";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RATE_LIMIT_WAITS, REST_RETRIES } from "../../src/bot/rest-policy.js";
import type { InteractionHandle } from "../discord/emulator.js";
import { type Harness, newUser, privateAnswer, startHarness, tuneMessage } from "./harness.js";

let h: Harness;
const admin = newUser("admin");

beforeAll(async () => {
  h = await startHarness({
    poolSize: 1,
    // Far too little to engrave a 2000-bar score; room to spare for 64-bar tunes (measured).
    workerHeapMb: 112,
    // Loose upload limits, so only the heap limit stands between a huge tune and the composer.
    config: { adminUserIds: [admin.id as string], maxSeedNotes: 20_000, maxSeedBars: 2_000 },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** Routes of one interaction's REST calls, with their statuses. */
function calls(run: InteractionHandle, route?: string): string[] {
  return h.emulator
    .callsFor(run)
    .filter((c) => route === undefined || c.route === route)
    .map((c) => `${c.route}:${c.status}`);
}

/** The router's log line for the command a user ran (once it has finished). */
function commandLine(run: InteractionHandle) {
  const user = run.payload.member?.user.id ?? run.payload.user?.id;
  return expect.poll(() => h.logs.find((l) => l.msg === "command" && l.user === user));
}

/**
 * A later /compose succeeds: the bot is still up and serving. (The emulator refuses a
 * deferral later than Discord's 3 s, so `deferred()` resolving means it was in time.)
 */
async function stillComposes(): Promise<void> {
  const after = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
  await after.deferred();
  expect((await tuneMessage(after, 30_000)).files).toHaveLength(4);
}

describe("the bot under faults", () => {
  it("a storm of 429s on the edit gives up after a bounded number of waits and says why", async () => {
    const run = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.rateLimit(
      { route: "webhook.editMessage", token: run.token },
      { retryAfterMs: 50, times: Infinity },
    );
    const answer = await privateAnswer(run, 30_000);
    expect(answer.content).toMatch(/Discord is holding back my messages right now \(rate limits\)/);
    const edits = calls(run, "webhook.editMessage");
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.length).toBeLessThanOrEqual(MAX_RATE_LIMIT_WAITS + 1);
    expect(new Set(edits)).toEqual(new Set(["webhook.editMessage:429"]));
    // The public "thinking…" message went; the reason came privately.
    expect(run.deletions).toHaveLength(1);
    await commandLine(run).toMatchObject({ command: "/compose", outcome: "discord-failed" });
    await stillComposes();
    // Still the same number of attempts after another whole composition: nothing kept retrying.
    expect(calls(run, "webhook.editMessage")).toHaveLength(edits.length);
    h.emulator.faults.clear();
  });

  it("5xx answers that never stop: the edit is tried 1 + REST_RETRIES times, then the user is told", async () => {
    const run = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.serverError(
      { route: "webhook.editMessage", token: run.token },
      { status: 502, times: Infinity },
    );
    const answer = await privateAnswer(run, 30_000);
    expect(answer.content).toMatch(/Discord had trouble taking my reply/);
    expect(calls(run, "webhook.editMessage")).toEqual(
      Array(1 + REST_RETRIES).fill("webhook.editMessage:502"),
    );

    // When even the deferral fails, the user cannot be told; the attempts are still bounded.
    const blocked = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.serverError(
      { route: "interaction.callback", token: blocked.token },
      { times: Infinity },
    );
    await commandLine(blocked).toMatchObject({ outcome: "discord-failed" });
    // The deferral, then the private reply that tried to explain: each 1 + REST_RETRIES times.
    expect(calls(blocked)).toEqual(Array(2 * (1 + REST_RETRIES)).fill("interaction.callback:500"));
    h.emulator.faults.clear();
    await stillComposes();
  });

  it("slow REST: answers held back a second each still make it; a deferral later than 3 s is given up", async () => {
    const slow = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.delay({ token: slow.token }, 1000, { times: Infinity });
    await slow.deferred();
    expect((await tuneMessage(slow, 30_000)).files).toHaveLength(4);
    // One request per step: nothing was sent twice because it was slow.
    expect(calls(slow)).toEqual(["interaction.callback:204", "webhook.editMessage:200"]);

    // Held past Discord's 3 s window: Discord refuses the deferral, and the bot lets it go.
    const late = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.delay({ route: "interaction.callback", token: late.token }, 3200);
    expect(await late.rejection(10_000)).toMatchObject({ what: "callback", code: 10062 });
    await commandLine(late).toMatchObject({ command: "/compose", outcome: "expired" });
    expect(calls(late)).toEqual(["interaction.callback:404"]);
    h.emulator.faults.clear();
    await stillComposes();
  });

  it("a gateway connection lost during a composition is resumed, and the tune arrives", async () => {
    const run = h.emulator.slash("compose", { options: { bars: 32 }, user: newUser() });
    await run.deferred();
    await expect.poll(() => h.pool.running, { timeout: 10_000 }).toBe(1);
    const resumed = h.emulator.gateway.waitForResume(15_000);
    await h.emulator.dropGateway({ terminate: true });
    expect((await resumed).ok).toBe(true);
    expect((await tuneMessage(run, 30_000)).files).toHaveLength(4);
    await stillComposes();
  });

  it("an interaction token that expires during a long composition: one refused edit, logged, nothing more", async () => {
    const run = h.emulator.slash("compose", { options: { bars: 64 }, user: newUser() });
    await run.deferred();
    await expect.poll(() => h.pool.running, { timeout: 10_000 }).toBe(1);
    run.expire();
    expect(await run.rejection(30_000)).toMatchObject({ what: "edit", status: 401, code: 50027 });
    await commandLine(run).toMatchObject({ command: "/compose", outcome: "expired" });
    expect(run.rejected).toHaveLength(1);
    expect(calls(run)).toEqual(["interaction.callback:204", "webhook.editMessage:401"]);
    await stillComposes();
  });

  it("a composer thread that runs out of memory is replaced; the request is answered; the pool is whole", async () => {
    // A 2000-bar jig: accepted under these loose limits, far too big to engrave in 112 MB.
    const bars = "d2f a2f|g2e f2d|e2c d2B|A3 A3|".repeat(500);
    const huge = `X:1\nT:Endless Jig\nM:6/8\nL:1/8\nK:D\n${bars}]\n`;
    const submitted = await h.emulator
      .slash("submit", { options: { tune: h.emulator.addAttachment("endless.abc", huge) }, user: newUser() })
      .reply(30_000);
    expect(submitted.embeds[0]?.title).toBe("Submitted: Endless Jig");
    const replacedBefore = h.pool.replaced;

    const review = await h.emulator.slash("admin review", { user: admin, options: {} }).reply(60_000);
    expect(review.embeds[0]?.title).toMatch(/: Endless Jig$/);
    expect(review.embeds[0]?.fields?.find((f) => f.name === "Preview")?.value).toMatch(
      /No preview: the file could not be rendered/,
    );
    expect(review.files.map((f) => f.name)).toEqual([]);
    expect(h.logs.find((l) => l.msg === "could not render a submission for review")).toMatchObject({
      err: { code: "out-of-memory", message: expect.stringMatching(/more memory than one tune may use/) },
    });
    expect(h.pool.replaced).toBe(replacedBefore + 1);
    await expect.poll(() => h.pool.readyWorkers, { timeout: 30_000 }).toBe(h.pool.size);
    await stillComposes();
  });

  it("refuses an /admin command from a DM, even from a listed admin, and logs it", async () => {
    const run = h.emulator.slash("admin review", { user: admin, options: {}, dm: true });
    expect(run.payload).toMatchObject({ context: InteractionContextType.BotDM, user: { id: admin.id } });
    expect(run.payload.guild_id).toBeUndefined();
    expect(run.payload.member).toBeUndefined();
    const answer = await privateAnswer(run);
    expect(answer.content).toMatch(/Admin commands work only in a server/);
    expect(h.logs.filter((l) => l.audit === "admin-denied" && l.user === admin.id)).toEqual([
      expect.objectContaining({ guild: null, action: "/admin review" }),
    ]);
  });

  it("an error that carries the bot token reaches the user as an error id only, and the log redacted", async () => {
    const token = h.emulator.botToken;
    const run = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    h.emulator.faults.status({ route: "webhook.editMessage", token: run.token }, 400, {
      message: `Invalid Form Body: Authorization "Bot ${token}" was rejected`,
      code: 50035,
    });
    const answer = await privateAnswer(run, 30_000);
    const errorId = /error `([0-9a-f]{8})`/.exec(answer.content)?.[1];
    expect(errorId).toBeDefined();
    expect(answer.content).not.toContain(token);
    expect(answer.content).not.toMatch(/Authorization|Invalid Form Body/);
    await expect
      .poll(() => h.logs.find((l) => l.msg === "command failed" && l.errorId === errorId))
      .toMatchObject({ err: { message: expect.stringContaining('Authorization "Bot [redacted]"') } });
    expect(JSON.stringify(h.logs)).not.toContain(token);
    // Nor did any message the bot sent carry it.
    expect(JSON.stringify(h.emulator.calls.map((c) => c.body ?? null))).not.toContain(token);
    h.emulator.faults.clear();
    expect(h.emulator.internalErrors).toEqual([]);
  });
});
