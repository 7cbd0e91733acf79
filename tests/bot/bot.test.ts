/**
 * The bot end to end: the real discord.js Client against the emulator, real compositions
 * through a one-worker pool on the wasm backend. Tests run in order and share one bot;
 * the button tests click a message composed before a restart of the bot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_PREFIX } from "../../src/bot/custom-id.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { checkBars } from "../../src/music/bar-check.js";
import { analyseForm } from "../../src/music/form.js";
import { importTune } from "../../src/music/import.js";
import { readNotesIndependently } from "../../src/music/midi-verify.js";
import { ACCOMPANIMENT_CHANNEL, tuneToMidi } from "../../src/music/midi-write.js";
import { performNotes } from "../../src/music/performance.js";
import { hasChords } from "../../src/music/tune.js";
import { decodeOggOpus, readOggOpus } from "../../src/render/audio.js";
import { pngSize } from "../../src/render/png.js";
import type { SeenMessage } from "../discord/emulator.js";
import {
  buttonId,
  field,
  file,
  type Harness,
  melody,
  newUser,
  privateAnswer,
  startHarness,
  tuneMessage,
} from "./harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ poolSize: 1 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const SEED_ABC = "X:1\nT:Seed Jig\nM:6/8\nL:1/8\nK:G\nGAB d2B|c2A B2G|ABc d2e|\n";
const MIDI_SEED_ABC = "X:1\nT:Midi Seed\nM:2/2\nL:1/8\nK:D\nd2fd Adfd|e2ge cege|\n";

const SUBMISSION_D =
  "X:1\nT:Test Submission\nM:6/8\nL:1/8\nK:D\nd2f a2f|g2e f2d|e2c d2B|A3 A3|d2f a2f|g2e f2d|e2c dcB|d3 d3|]\n";
// The same tune a tone higher, written with other spacing: the same music for training.
const SUBMISSION_E =
  "X:7\nT:Another Name\nM:6/8\nL:1/8\nK:E\ne2g b2g | a2f g2e | f2d e2c | B3 B3 |\ne2g b2g | a2f g2e | f2d edc | e3 e3 |]\n";

function embed0(message: SeenMessage) {
  return message.embeds[0];
}

function tuneOf(message: SeenMessage) {
  return parseAbc(file(message, "tune.abc").toString("utf8"));
}

/** A composed tune kept for the button tests. */
let composed: SeenMessage;
/** A tune composed from the ABC seed, to check its buttons reuse the stored seed. */
let seeded: SeenMessage;

describe("the Tunesmith bot", () => {
  it("/compose temperature:1.2 defers within 3 s, then edits in MIDI, audio, score and ABC", async () => {
    const run = h.emulator.slash("compose", {
      options: { temperature: 1.2, bars: 8, style: "jig", key: "A dorian" },
      user: newUser(),
    });
    expect(await run.deferred()).toBeLessThan(3000);
    const shown = await tuneMessage(run);
    composed = shown;
    expect(shown.kind).toBe("edit");
    expect(shown.ephemeral).toBe(false);
    expect(shown.files.map((f) => f.name)).toEqual(["tune.mid", "tune.ogg", "score.png", "tune.abc"]);

    const midi = readNotesIndependently(file(shown, "tune.mid"));
    const tune = tuneOf(shown);
    // The MIDI file plays the ABC's repeats: the same pitches, in playing order; the chords
    // (on by default) are in the ABC and are played by a backing on a channel of its own.
    expect(midi.notes.filter((n) => n.channel === 0).map((n) => n.midi)).toEqual(
      performNotes(tune).map((n) => n.midi),
    );
    expect(hasChords(tune)).toBe(true);
    expect(midi.notes.filter((n) => n.channel === ACCOMPANIMENT_CHANNEL).length).toBeGreaterThan(20);
    expect(field(embed0(shown), "Chords")).toMatch(/^```\nA: .*Am/);
    const ogg = file(shown, "tune.ogg");
    expect(ogg.subarray(0, 4).toString("latin1")).toBe("OggS");
    expect(readOggOpus(ogg).packets.length).toBeGreaterThan(10);
    expect(decodeOggOpus(ogg).length).toBeGreaterThan(24_000);
    expect(pngSize(file(shown, "score.png")).width).toBeGreaterThan(100);

    const embed = embed0(shown);
    expect(field(embed, "Temperature")).toBe("1.2");
    expect(field(embed, "Style")).toBe("jig");
    expect(field(embed, "Key")).toBe("A dorian");
    expect(field(embed, "Meter")).toBe("6/8");
    expect(field(embed, "Bars")).toBe("8");
    expect(field(embed, "Model")).toContain(h.pool.model.version);
    expect(field(embed, "Took")).toMatch(/^\d+\.\d s$/);
    expect(embed?.image?.url).toBe("attachment://score.png");
    expect(embed?.title).toBe(tune.title);
    expect(tune.meter).toEqual({ num: 6, den: 8 });
    for (const label of ["Another one", "Continue", "Hotter", "Cooler", "Submit for training"])
      expect(buttonId(shown.components, label).startsWith(`${COMPOSE_PREFIX}:`)).toBe(true);
    // Logged once the handler has finished, just after the edit.
    await expect
      .poll(() => h.logs.find((l) => l.msg === "command" && l.command === "/compose"))
      .toMatchObject({
        outcome: "ok",
        user: expect.any(String),
        options: "temperature=1.2 bars=8 style=jig key=A dorian",
        durationMs: expect.any(Number),
      });
  });

  it("/harmonize gives a user's tune back with chords, every note kept, and a backing", async () => {
    const upload = h.emulator.addAttachment("mine.abc", SEED_ABC);
    const run = h.emulator.slash("harmonize", {
      options: { tune: upload, accompaniment: "piano" },
      user: newUser(),
    });
    const shown = await tuneMessage(run);
    expect(shown.files.map((f) => f.name)).toEqual(["tune.mid", "tune.ogg", "score.png", "tune.abc"]);
    const tune = tuneOf(shown);
    expect(melody(tune)).toEqual(melody(parseAbc(SEED_ABC)));
    expect(hasChords(tune)).toBe(true);
    expect(field(embed0(shown), "Chords")).toMatch(/^```\nA: G/);
    expect(field(embed0(shown), "Instrument")).toBe("fiddle, piano backing");
    const midi = readNotesIndependently(file(shown, "tune.mid"));
    expect(midi.notes.some((n) => n.channel === ACCOMPANIMENT_CHANNEL)).toBe(true);
  });

  it("continues an ABC seed and a MIDI seed: the tune begins with the seed's melody", async () => {
    const abcSeed = h.emulator.addAttachment("seed.abc", SEED_ABC);
    const fromAbc = h.emulator.slash("compose", { options: { seed: abcSeed, bars: 8 }, user: newUser() });
    seeded = await tuneMessage(fromAbc);
    const seedNotes = melody(parseAbc(SEED_ABC));
    const abcTune = tuneOf(seeded);
    expect(melody(abcTune).slice(0, seedNotes.length)).toEqual(seedNotes);
    expect(melody(abcTune).length).toBeGreaterThan(seedNotes.length);
    expect(abcTune.title).toBe("Seed Jig");
    expect(field(seeded.embeds[0], "Style")).toBe("from your seed");

    const midiBytes = tuneToMidi(parseAbc(MIDI_SEED_ABC));
    const midiSeed = h.emulator.addAttachment("seed.mid", midiBytes);
    const fromMidi = h.emulator.slash("compose", { options: { seed: midiSeed, bars: 8 }, user: newUser() });
    const shown = await tuneMessage(fromMidi);
    const heard = melody(importTune(midiBytes).tune);
    expect(heard.map((n) => n.split(":")[0])).toEqual(
      melody(parseAbc(MIDI_SEED_ABC)).map((n) => n.split(":")[0]),
    );
    expect(melody(tuneOf(shown)).slice(0, heard.length)).toEqual(heard);
  });

  it("continues the first voice of a two-voice ABC seed, and says (escaped) the other was left out", async () => {
    const lead = "V:[lead](https://evil.example)\n";
    const twoVoices = `${SEED_ABC.replace("K:G\n", `K:G\n${lead}`)}V:2\nG,6|G,6|G,6|\n`;
    const run = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("duet.abc", twoVoices), bars: 8 },
      user: newUser(),
    });
    const shown = await tuneMessage(run);
    const seedNotes = melody(parseAbc(SEED_ABC));
    expect(melody(tuneOf(shown)).slice(0, seedNotes.length)).toEqual(seedNotes);
    expect(shown.embeds[0]?.description).toContain(
      "seed: kept the first voice (V:\\[lead](https://evil.example)) and left out the others",
    );
  });

  it("continues a seed that changes meter, with unknown fields and decorations, in its last meter and says so", async () => {
    const changing =
      "X:1\nT:Changing\nY:AB\nM:6/8\nL:1/8\nK:G\nkGAB d2B|c2A B2G|\nM:9/8\nABc d2e B2A|[M:6/8]GAB d2B|\n";
    const run = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("changing.abc", changing), bars: 8 },
      user: newUser(),
    });
    const shown = await tuneMessage(run);
    const tune = tuneOf(shown);
    // The whole seed is kept, its 9/8 bar included; the continuation is in 6/8.
    const seedNotes = melody(parseAbc(changing));
    expect(seedNotes).toHaveLength(21);
    expect(melody(tune).slice(0, seedNotes.length)).toEqual(seedNotes);
    expect(
      tune.elements.filter((e) => e.kind === "meter").map((e) => e.kind === "meter" && e.meter.num),
    ).toEqual([9, 6]);
    expect(checkBars(tune).ok).toBe(true);
    const description = shown.embeds[0]?.description ?? "";
    expect(description).toContain(
      "seed: ignored what Tunesmith does not model: playing order (Y:), decoration k",
    );
    expect(description).toContain(
      "• the seed changes meter, which the model cannot do: it continued in the seed's last meter, 6/8",
    );
  });

  it("refuses a corrupt, an oversized and a disguised seed privately, and keeps answering", async () => {
    const corrupt = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("broken.mid", Buffer.from("MThd\x00\x00\x00\x06garbage")) },
      user: newUser(),
    });
    const corruptAnswer = await privateAnswer(corrupt);
    expect(corruptAnswer.content).toMatch(/couldn't read `broken\.mid`/);
    expect(corruptAnswer.files).toEqual([]);
    // The public "thinking…" message was removed rather than left hanging.
    expect(corrupt.deletions).toHaveLength(1);

    const notAbc = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("notes.txt", "just some words, no tune here") },
      user: newUser(),
    });
    expect((await privateAnswer(notAbc)).content).toMatch(/couldn't read `notes\.txt`/);

    const twoMegabytes = Buffer.alloc(2 * 1024 * 1024, 0x41);
    const huge = h.emulator.addAttachment("huge.abc", twoMegabytes);
    const big = h.emulator.slash("compose", { options: { seed: huge }, user: newUser() });
    const bigAnswer = await privateAnswer(big);
    expect(bigAnswer).toMatchObject({ kind: "reply", ephemeral: true });
    expect(bigAnswer.content).toMatch(/2\.0 MB; tunes up to 1\.0 MB/);
    // Refused from its declared size: never downloaded.
    expect(h.emulator.cdnCalls.filter((c) => c.attachmentId === huge.id)).toEqual([]);
    // A file larger than it claims to be is cut off while downloading.
    const sneaky = { ...h.emulator.addAttachment("sneaky.abc", twoMegabytes), size: 100 };
    const lying = h.emulator.slash("compose", { options: { seed: sneaky }, user: newUser() });
    expect((await privateAnswer(lying)).content).toMatch(/`sneaky\.abc` is larger than 1\.0 MB/);

    const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00", "latin1"), Buffer.alloc(512, 0xff)]);
    const disguised = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("tune.mid", exe) },
      user: newUser(),
    });
    expect((await privateAnswer(disguised)).content).toMatch(/named like a MIDI file but isn't one/);

    const wrongType = h.emulator.slash("compose", {
      options: { seed: h.emulator.addAttachment("setup.exe", exe) },
      user: newUser(),
    });
    expect((await privateAnswer(wrongType)).content).toMatch(/isn't a tune file I can read/);

    const badKey = h.emulator.slash("compose", { options: { key: "H lydian" }, user: newUser() });
    expect((await privateAnswer(badKey)).content).toMatch(/key must be/);

    const after = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    expect((await tuneMessage(after)).files).toHaveLength(4);
    expect(h.logs.filter((l) => l.outcome === "error")).toEqual([]);
    expect(h.emulator.internalErrors).toEqual([]);
  });

  it("Hotter raises the temperature by 0.3", async () => {
    const click = h.emulator.click(composed, buttonId(composed.components, "Hotter"), { user: newUser() });
    expect(await click.deferred()).toBeLessThan(3000);
    const hotter = await tuneMessage(click);
    expect(hotter.messageId).not.toBe(composed.messageId);
    expect(field(hotter.embeds[0], "Temperature")).toBe("1.5");
    expect(field(hotter.embeds[0], "Key")).toBe("A dorian");
    expect(hotter.content).toMatch(/^Hotter: temperature 1\.5/);
  });

  it("private tunes stay private, and files over the upload limit are left out, not the message", async () => {
    const run = h.emulator.slash("compose", {
      // 16 bars: the score (~110 KB) fits, score and preview (≥ 100 KB more) together do not.
      options: { bars: 16, private: true },
      user: newUser(),
      attachmentSizeLimit: 150_000,
    });
    const shown = await tuneMessage(run);
    expect(run.ephemeral).toBe(true);
    expect(shown.ephemeral).toBe(true);
    expect(shown.files.map((f) => f.name)).toEqual(["tune.mid", "score.png", "tune.abc"]);
    expect(shown.files.reduce((sum, f) => sum + f.bytes.length, 0)).toBeLessThanOrEqual(150_000);
    expect(shown.embeds[0]?.description).toContain("tune.ogg left out");

    const cooler = h.emulator.click(shown, buttonId(shown.components, "Cooler"), { user: newUser() });
    expect((await tuneMessage(cooler)).ephemeral).toBe(true);
  });

  it("an internal failure gets a private apology with an error id that is in the log", async () => {
    h.bot.store.close(); // the database goes away under the bot
    const run = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("reel.abc", SUBMISSION_D) },
      user: newUser(),
    });
    const answer = await privateAnswer(run);
    const id = /error `([0-9a-f]{8})`/.exec(answer.content)?.[1];
    expect(id).toBeDefined();
    expect(answer.content).not.toMatch(/database|at .*\.ts/);
    await expect
      .poll(() => h.logs.find((l) => l.msg === "command failed" && l.errorId === id))
      .toMatchObject({
        level: 50,
        command: "/submit",
        err: { message: expect.stringContaining("database") },
      });
  });

  it("after a restart, every button on the earlier message still works", async () => {
    const identifies = h.emulator.gateway.identifies.length;
    await h.restart();
    expect(h.emulator.gateway.identifies.length).toBe(identifies + 1);

    const before = composed.embeds[0];
    const another = await tuneMessage(
      h.emulator.click(composed, buttonId(composed.components, "Another one"), { user: newUser() }),
    );
    for (const name of ["Temperature", "Style", "Key", "Bars", "Form", "Tempo", "Instrument"])
      expect(field(another.embeds[0], name)).toBe(field(before, name));
    expect(another.embeds[0]?.footer?.text).not.toBe(before?.footer?.text); // a new seed value
    expect(tuneOf(another).elements).not.toEqual(tuneOf(composed).elements);

    const continued = await tuneMessage(
      h.emulator.click(composed, buttonId(composed.components, "Continue"), { user: newUser() }),
    );
    const previous = melody(tuneOf(composed));
    expect(melody(tuneOf(continued)).slice(0, previous.length)).toEqual(previous);
    expect(melody(tuneOf(continued)).length).toBeGreaterThan(previous.length);
    // Continue adds one part as long as the tune's parts (8 bars of a jig, AB or AABB: parts of 4).
    expect(field(before, "Form")).toMatch(/^(AABB|AB): 2 parts of 4 bars/);
    expect(field(continued.embeds[0], "Bars")).toBe("4 after the seed");
    expect(analyseForm(tuneOf(continued)).partBars).toEqual([4, 4, 4]);

    const cooler = await tuneMessage(
      h.emulator.click(composed, buttonId(composed.components, "Cooler"), { user: newUser() }),
    );
    expect(field(cooler.embeds[0], "Temperature")).toBe("0.9");

    // A tune composed from a seed: Another one composes from the same (stored) seed.
    const seedNotes = melody(parseAbc(SEED_ABC));
    const again = await tuneMessage(
      h.emulator.click(seeded, buttonId(seeded.components, "Another one"), { user: newUser() }),
    );
    expect(melody(tuneOf(again)).slice(0, seedNotes.length)).toEqual(seedNotes);

    const submitter = newUser();
    const submit = h.emulator.click(composed, buttonId(composed.components, "Submit"), { user: submitter });
    const answer = await submit.reply();
    expect(answer.ephemeral).toBe(true);
    expect(answer.embeds[0]?.title).toMatch(/^Submitted: /);
    const pending = h.bot.store.listSubmissions("pending");
    expect(pending.map((s) => [s.userId, s.guildId, s.fileName, s.title])).toEqual([
      [submitter.id, h.emulator.guildId, "tune.abc", tuneOf(composed).title],
    ]);
  });

  it("/submit stores a pending tune, reports a duplicate, refuses what the model cannot learn", async () => {
    const user = newUser();
    const run = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("kitchen.abc", SUBMISSION_D), notes: "learned from my aunt" },
      user,
    });
    const shown = await run.reply();
    expect(shown.ephemeral).toBe(true);
    expect(shown.embeds[0]?.title).toBe("Submitted: Test Submission");
    expect(shown.embeds[0]?.image?.url).toBe("attachment://preview.png");
    expect(pngSize(file(shown, "preview.png")).width).toBeGreaterThan(100);
    const stored = h.bot.store.listSubmissions("pending").find((s) => s.title === "Test Submission");
    expect(stored).toMatchObject({
      userId: user.id,
      guildId: h.emulator.guildId,
      fileName: "kitchen.abc",
      notes: "learned from my aunt",
      status: "pending",
    });
    expect(Buffer.from(stored?.original ?? []).toString("utf8")).toBe(SUBMISSION_D);
    expect(stored?.tokens[0]).toBe("<s>");

    const duplicate = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("same.abc", SUBMISSION_E) },
      user: newUser(),
    });
    const dup = await privateAnswer(duplicate);
    expect(dup.content).toMatch(
      /already submitted this tune \(as “Test Submission”, submission #\d+, pending\)/,
    );

    const fiveFour = "X:1\nT:Five\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|a2g2f2e2d2|]\n";
    const refused = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("five.abc", fiveFour) },
      user: newUser(),
    });
    expect((await privateAnswer(refused)).content).toMatch(
      /can't accept `five\.abc` for training: it uses M:5\/4/,
    );
    expect(h.bot.store.listSubmissions().map((s) => s.title)).not.toContain("Five");

    // What reading left out and how a meter change is learned are listed, as for seeds.
    const changing =
      "X:1\nT:Changing Submission\nP:AB\nM:3/4\nL:1/8\nK:D\nP:A\nd2 f2 a2|Rg2 e2 c2|\nM:2/4\nd2 f2|[M:3/4]a2 f2 d2|e6|]\n";
    const accepted = h.emulator.slash("submit", {
      options: { tune: h.emulator.addAttachment("changing.abc", changing) },
      user: newUser(),
    });
    const withNotes = await accepted.reply();
    expect(withNotes.embeds[0]?.title).toBe("Submitted: Changing Submission");
    expect(withNotes.embeds[0]?.description).toContain(
      "• reading: ignored what Tunesmith does not model: parts (P:), decoration R",
    );
    expect(withNotes.embeds[0]?.description).toContain(
      "• It changes meter, which the model's notation cannot: it will be learned from its last meter change on (3/4).",
    );
    const learned = h.bot.store.listSubmissions("pending").find((s) => s.title === "Changing Submission");
    expect(learned?.tokens.slice(0, 3)).toEqual(["<s>", "M:3/4", "K:major"]);
  });

  it("survives a 429 and 500s from Discord and a lost gateway connection", async () => {
    h.emulator.faults.rateLimit({ route: "webhook.editMessage" }, { retryAfterMs: 300 });
    const limited = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    expect((await tuneMessage(limited)).files).toHaveLength(4);
    const edits = h.emulator.callsFor(limited).filter((c) => c.route === "webhook.editMessage");
    expect(edits.map((c) => c.status)).toEqual([429, 200]);

    h.emulator.faults.serverError({ route: "interaction.callback" });
    h.emulator.faults.serverError({ route: "webhook.editMessage" });
    const failing = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    expect(await failing.deferred()).toBeLessThan(3000);
    expect((await tuneMessage(failing)).files).toHaveLength(4);
    expect(h.emulator.callsFor(failing).map((c) => `${c.route}:${c.status}`)).toEqual([
      "interaction.callback:500",
      "interaction.callback:204",
      "webhook.editMessage:500",
      "webhook.editMessage:200",
    ]);

    const resumed = h.emulator.gateway.waitForResume(10_000);
    await h.emulator.dropGateway();
    const missed = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    expect((await resumed).replayed).toBeGreaterThanOrEqual(1);
    expect((await tuneMessage(missed)).files).toHaveLength(4);
    h.emulator.faults.clear();
  });

  it("when the composer is busy, says where the tune is in the queue, then delivers it", async () => {
    const slow = h.emulator.slash("compose", { options: { bars: 64 }, user: newUser() });
    await expect.poll(() => h.pool.running, { timeout: 10_000 }).toBe(1);
    const queued = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    const first = await queued.edit(0);
    expect(first.content).toBe("Queued — 1 tune ahead of yours… I'll post it here when it's done.");
    expect(first.files).toEqual([]);
    const delivered = await tuneMessage(queued, 30_000);
    expect(delivered.messageId).toBe(first.messageId);
    expect(delivered.content).toBe("");
    expect((await tuneMessage(slow, 30_000)).files).toHaveLength(4);
  });

  it("makes a user who composes twice in a row wait", async () => {
    const user = newUser();
    const first = h.emulator.slash("compose", { options: { bars: 8 }, user });
    await first.deferred();
    const second = h.emulator.slash("compose", { options: { bars: 8 }, user });
    const answer = await privateAnswer(second);
    expect(answer).toMatchObject({ kind: "reply", ephemeral: true });
    expect(answer.content).toMatch(/Please wait (10|9) s before asking for another tune/);
    expect((await tuneMessage(first)).files).toHaveLength(4);
    expect(h.logs.some((l) => l.command === "/compose" && l.outcome === "cooldown")).toBe(true);
  });

  it("gives up cleanly on a tune that would be ready after Discord's deadline", async () => {
    // Interactions that live 20.5 s leave 0.5 s before the bot must give up (20 s ahead).
    await h.restart({ interactionLifetimeMs: 20_500 });
    try {
      const late = h.emulator.slash("compose", { options: { bars: 64 }, user: newUser() });
      const answer = await privateAnswer(late);
      expect(answer.content).toMatch(/wasn't ready in time/);
      await expect.poll(() => h.pool.running, { timeout: 30_000 }).toBe(0);
      expect(late.seen.some((s) => s.files.length > 0)).toBe(false);
      expect(late.rejected).toEqual([]);
    } finally {
      await h.restart();
    }

    // Discord itself refusing the token (expired) is logged, and nothing more is sent.
    const expired = h.emulator.slash("compose", { options: { bars: 8 }, user: newUser() });
    await expired.deferred();
    expired.expire();
    expect(await expired.rejection()).toMatchObject({ what: "edit", code: 50027 });
    await expect
      .poll(() => h.logs.find((l) => l.msg === "command" && l.outcome === "expired"))
      .toMatchObject({ command: "/compose" });
    expect(expired.rejected).toHaveLength(1);
  });

  it("/help explains every command and its options; key autocompletes", async () => {
    const help = await h.emulator.slash("help").reply();
    expect(help.ephemeral).toBe(true);
    const text = JSON.stringify(help.embeds[0]);
    for (const words of ["/compose", "/submit", "/help", "`temperature`", "`seed`", "0.1–3", "Example"])
      expect(text).toContain(words);

    const choices = await h.emulator
      .autocomplete("compose", { options: { key: "a d" }, focused: "key" })
      .autocomplete();
    expect(choices?.map((c) => c.value)).toContain("A dorian");
  });
});
