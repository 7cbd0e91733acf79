/**
 * /forget through the emulator with the real discord.js Client: a member's uploaded seed,
 * pending submission and trained submission; /forget deletes the first two and lists the
 * third with its model version, and a button under the seeded tune then asks for the seed
 * again. `/admin forget user_id:` does the same for another member, for admins only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTuneButton } from "../../src/bot/custom-id.js";
import type { SeenMessage } from "../discord/emulator.js";
import { buttonId, type Harness, newUser, privateAnswer, startHarness, tuneMessage } from "./harness.js";

const SEED_ABC = "X:1\nT:Seed Jig\nM:6/8\nL:1/8\nK:G\nGAB d2B|c2A B2G|ABc d2e|\n";
const SUBMISSION =
  "X:1\nT:Kitchen Jig\nM:6/8\nL:1/8\nK:D\nd2f a2f|g2e f2d|e2c d2B|A3 A3|d2f a2f|g2e f2d|e2c dcB|d3 d3|]\n";

const alice = newUser("alice");
const bob = newUser("bob");
const admin = newUser("admin");
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ config: { adminUserIds: [admin.id as string], composeCooldownSeconds: 0 } });
}, 60_000);
afterAll(() => h?.close());

async function composeWithSeed(user: typeof alice): Promise<{ message: SeenMessage; seedId: number }> {
  const run = h.emulator.slash("compose", {
    options: { seed: h.emulator.addAttachment("seed.abc", SEED_ABC), bars: 8 },
    user,
  });
  const message = await tuneMessage(run);
  const seedId = decodeTuneButton(buttonId(message.components, "Another"))?.settings?.seedId;
  if (seedId === undefined) throw new Error("the tune's buttons carry no seed");
  return { message, seedId };
}

describe("/forget", () => {
  it("deletes a member's seeds and untrained submissions, lists the trained one, and the seed's buttons say so", async () => {
    const aliceTune = await composeWithSeed(alice);
    const bobTune = await composeWithSeed(bob);
    expect(h.bot.store.getSeed(aliceTune.seedId)).toBeDefined();

    const submitted = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("kitchen.abc", SUBMISSION) },
      user: alice,
    });
    expect((await submitted.reply()).embeds[0]?.title).toBe("Submitted: Kitchen Jig");
    // A second submission of hers, already trained into version v7.
    const trained = h.bot.store.addSubmission({
      guildId: h.emulator.guildId,
      userId: alice.id as string,
      title: "Trained Reel",
      fileName: "reel.abc",
      original: new TextEncoder().encode("X:1\nT:Trained Reel\n"),
      contentHash: "trained-reel",
      tokens: ["<s>", "</s>"],
    });
    if (!trained.added) throw new Error("not added");
    const trainedId = trained.submission.id;
    h.bot.store.reviewSubmission(trainedId, "approved", admin.id as string);
    h.bot.store.recordVersion({
      id: "v7",
      parent: "0",
      dir: "/gone",
      submissions: [trainedId],
      status: "retired",
    });
    h.bot.store.markUsed([trainedId]);

    const forget = h.emulator.slash("forget", { user: alice, options: {} });
    const report = await privateAnswer(forget);
    expect(report.content).toContain("Deleted 1 stored seed and 1 submission not trained on yet.");
    expect(report.content).toMatch(/#\d+ “Kitchen Jig” \(pending\)/);
    expect(report.content).toContain(`#${trainedId} “Trained Reel” in version v7`);

    expect(h.bot.store.getSeed(aliceTune.seedId)).toBeUndefined();
    expect(h.bot.store.getSeed(bobTune.seedId)).toBeDefined();
    expect(h.bot.store.listSubmissions().filter((s) => s.userId === alice.id)).toMatchObject([
      { id: trainedId, status: "used" },
    ]);
    expect(h.logs.find((l) => l.audit === "forget")).toMatchObject({
      user: alice.id,
      seeds: 1,
      kept: [trainedId],
    });

    // The seeded tune's "Another one" needs the seed, which is gone.
    const again = h.emulator.click(aliceTune.message, buttonId(aliceTune.message.components, "Another"), {
      user: alice,
    });
    expect((await privateAnswer(again)).content).toContain("The seed of this tune is no longer stored");
  });

  it("says there is nothing to forget when nothing is stored", async () => {
    const run = h.emulator.slash("forget", { user: newUser("nobody"), options: {} });
    expect((await privateAnswer(run)).content).toBe(
      "Nothing to forget: I have no seeds or submissions of yours.",
    );
  });

  it("/admin forget user_id: deletes another member's data for an admin, and refuses anyone else", async () => {
    const { seedId } = await composeWithSeed(bob);

    const denied = h.emulator.slash("admin forget", { user: alice, options: { user_id: bob.id as string } });
    expect((await privateAnswer(denied)).content).toMatch(/Only Tunesmith's admins can do that/);
    expect(h.bot.store.getSeed(seedId)).toBeDefined();

    const run = h.emulator.slash("admin forget", { user: admin, options: { user_id: bob.id as string } });
    const report = await privateAnswer(run);
    expect(report.content).toContain("Deleted 2 stored seeds and 0 submissions not trained on yet.");
    expect(h.bot.store.getSeed(seedId)).toBeUndefined();
    expect(h.logs.find((l) => l.audit === "admin" && l.forgot === bob.id)).toMatchObject({ user: admin.id });

    const notAnId = h.emulator.slash("admin forget", {
      user: admin,
      options: { user_id: "bob the fiddler!!" },
    });
    expect((await privateAnswer(notAnId)).content).toContain("a user id is 17 to 20 digits");
  });
});
