/**
 * The admin workflow end to end, through the emulator with the real discord.js Client:
 * twenty tunes submitted by several users, reviewed with the Approve button, a retraining
 * run started with /admin retrain whose progress is edited into its message, the result,
 * and the next /compose made by the new version. The model and corpus are the tiny
 * fixtures of tests/retrain (a 1×16 model), so the run takes seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/model/backend.js";
import { pngSize } from "../../src/render/png.js";
import { VERSION_ZERO } from "../../src/versions/version-ids.js";
import { opt, type SeenMessage, type UserSpec } from "../discord/emulator.js";
import { type Fixture, makeFixture, submissionTunes } from "../retrain/fixtures.js";
import {
  buttonId,
  field,
  file,
  type Harness,
  newUser,
  privateAnswer,
  startHarness,
  tuneMessage,
} from "./harness.js";

let fx: Fixture;
let h: Harness;
const admin = newUser("admin");
const roleAdmin: UserSpec = { ...newUser("steward"), roles: ["Stewards"] };

beforeAll(async () => {
  await initBackend("wasm");
  fx = await makeFixture();
  h = await startHarness({
    modelDir: fx.modelDir,
    dataDir: fx.dataDir,
    emulator: { roles: [{ name: "Stewards" }, { name: "Players" }] },
    config: (emulator) => ({
      corpusDir: fx.corpusDir,
      adminUserIds: [admin.id as string],
      adminRoleIds: [emulator.roleId("Stewards")],
      retrainBatchSize: 4,
      retrainSeqLen: 32,
    }),
    settings: { retrainProgressMs: 50 },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  fx?.cleanup();
});

const refusal = /Only Tunesmith's admins can do that/;

describe("the admin workflow", () => {
  it("stores twenty tunes submitted by several users as pending", async () => {
    const users = [newUser(), newUser(), newUser(), newUser()];
    const tunes = submissionTunes(20);
    for (const [i, abc] of tunes.entries()) {
      const run = h.emulator.slash("submit", {
        options: { tune: h.emulator.addAttachment(`jig-${i}.abc`, abc) },
        user: users[i % users.length],
      });
      expect((await run.reply()).embeds[0]?.title).toBe(`Submitted: Submitted Jig ${i + 1}`);
    }
    const pending = h.bot.store.listSubmissions("pending");
    expect(pending).toHaveLength(20);
    expect(new Set(pending.map((s) => s.userId)).size).toBe(4);
  });

  it("refuses a non-admin, even one holding another role, and logs it for audit", async () => {
    const player: UserSpec = { ...newUser("player"), roles: ["Players"] };
    for (const command of ["admin review", "admin retrain", "admin model rollback"]) {
      const run = h.emulator.slash(command, { user: player, options: {} });
      expect((await privateAnswer(run)).content).toMatch(refusal);
    }
    const denied = h.logs.filter((l) => l.audit === "admin-denied" && l.user === player.id);
    expect(denied.map((l) => l.action)).toEqual(["/admin review", "/admin retrain", "/admin model rollback"]);
    expect(denied.every((l) => l.guild === h.emulator.guildId)).toBe(true);
    expect(h.bot.store.listSubmissions("pending")).toHaveLength(20);
  });

  it("shows each pending tune with score and audio; Approve moves to the next", async () => {
    const review = h.emulator.slash("admin review", { user: roleAdmin, options: {} });
    let shown: SeenMessage = await review.reply();
    expect(shown.ephemeral).toBe(true);
    const first = h.bot.store.listSubmissions("pending")[0];
    expect(shown.embeds[0]?.title).toBe(`#${first?.id}: Submitted Jig 1`);
    expect(shown.embeds[0]?.footer?.text).toBe("20 waiting for review");
    expect(pngSize(file(shown, "preview.png")).width).toBeGreaterThan(100);
    expect(file(shown, "preview.ogg").subarray(0, 4).toString()).toBe("OggS");

    for (let i = 0; i < 20; i++) {
      const id = buttonId(shown.components, "Approve");
      const click = h.emulator.click(shown, id, { user: i % 2 === 0 ? admin : roleAdmin });
      shown = await click.waitFor("the next review", () =>
        click.seen.find((s) => s.content.startsWith("Approved")),
      );
      expect(shown.content).toContain(`Approved #${id.split(":")[2]}.`);
    }
    expect(shown.content).toContain("No submissions are waiting for review.");
    const approved = h.bot.store.listSubmissions("approved");
    expect(approved).toHaveLength(20);
    expect(new Set(approved.map((s) => s.reviewer))).toEqual(new Set([admin.id, roleAdmin.id]));
  });

  it("/admin retrain steps:200 edits in its progress, then the result; the next tune uses the new version", async () => {
    expect(h.pool.model.version).toBe(VERSION_ZERO);
    const run = h.emulator.slash("admin retrain", { user: admin, options: { steps: opt.integer(200) } });
    await run.deferred();
    const second = h.emulator.slash("admin retrain", { user: roleAdmin, options: {} });
    expect((await privateAnswer(second)).content).toMatch(
      /Only one retraining at a time: retraining run #\d+ is already/,
    );

    const result = await run.waitFor(
      "the retraining result",
      () => run.edits.find((e) => /^Retraining run #\d+: /.test(e.embeds[0]?.title ?? "")),
      120_000,
    );
    const progress = run.edits.filter((e) => /step \d+\/200/.test(e.embeds[0]?.description ?? ""));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.some((e) => /█+░*.*%/.test(e.embeds[0]?.description ?? ""))).toBe(true);
    expect(
      progress.some((e) =>
        /loss \d\.\d{3} · [\d,]+ tokens\/s · about .+ left/.test(e.embeds[0]?.description ?? ""),
      ),
    ).toBe(true);

    const embed = result.embeds[0];
    expect(embed?.title).toMatch(/: succeeded$/);
    expect(embed?.description).toMatch(/^Promoted: version \*\*v1-\d{14}\*\*/);
    expect(field(embed, "Base tunes (bits/note)")).toMatch(/^\d+\.\d{3} → \d+\.\d{3}$/);
    expect(field(embed, "Held-out submissions")).toMatch(/^\d+\.\d{3} → \d+\.\d{3}$/);
    expect(embed?.image?.url).toBe("attachment://loss-curve.png");
    expect(pngSize(file(result, "loss-curve.png")).width).toBeGreaterThan(100);

    const version = /v1-\d{14}/.exec(embed?.description ?? "")?.[0] as string;
    expect(h.pool.model.version).toBe(version);
    const composed = await tuneMessage(
      h.emulator.slash("compose", { user: newUser(), options: { style: "jig", bars: 8 } }),
    );
    expect(field(composed.embeds[0], "Model")).toContain(`version ${version}`);
    const trained = h.bot.store.listSubmissions("used");
    expect(trained.length).toBeGreaterThan(0);
    expect(trained.length + h.bot.store.listSubmissions("approved").length).toBe(20);
  });

  it("/admin model shows the versions; rollback and promote switch the composer", async () => {
    const show = await h.emulator.slash("admin model show", { user: admin, options: {} }).reply();
    const current = h.pool.model.version;
    expect(show.embeds[0]?.title).toBe(`Model version ${current}`);
    expect(field(show.embeds[0], "History (newest first)")).toMatch(
      new RegExp(`^\`${current}\` \\*\\*active\\*\\*`),
    );

    const back = await privateAnswer(h.emulator.slash("admin model rollback", { user: admin, options: {} }));
    expect(back.content).toContain(`Now composing with version **${VERSION_ZERO}** (was ${current})`);
    expect(h.pool.model.version).toBe(VERSION_ZERO);

    const forward = await privateAnswer(
      h.emulator.slash("admin model promote", { user: admin, options: { version: "v1" } }),
    );
    expect(forward.content).toContain(`Now composing with version **${current}**`);
    expect(h.pool.model.version).toBe(current);

    const wrong = await privateAnswer(
      h.emulator.slash("admin model promote", { user: admin, options: { version: "v9" } }),
    );
    expect(wrong.content).toMatch(/there is no model version "v9" \(known: 0, v1-\d{14}\)/);
  });
});
