/** The bot's pure parts: custom ids, temperature steps, attachment fitting, keys, cooldowns, deadlines, training checks. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { checkUpload, readTune } from "../../src/bot/attachments.js";
import { Cooldowns } from "../../src/bot/cooldowns.js";
import {
  CUSTOM_ID_MAX,
  decodeTuneButton,
  encodeTuneButton,
  stepTemperature,
  type TuneSettings,
} from "../../src/bot/custom-id.js";
import { beforeDeadline, Deadline, TIMED_OUT } from "../../src/bot/deadline.js";
import { DiscordClock, describeSkew, MAX_TRANSIT_MS } from "../../src/bot/discord-clock.js";
import { UserFacingError } from "../../src/bot/error-replies.js";
import { keySuggestions } from "../../src/bot/keys.js";
import { prepareTrainingTune } from "../../src/bot/submission.js";
import { fitFiles } from "../../src/bot/tune-reply.js";
import { validateRequest } from "../../src/compose/request.js";
import { STYLE_NAMES } from "../../src/compose/styles.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { Vocabulary } from "../../src/music/vocabulary.js";
import { INSTRUMENT_NAMES } from "../../src/render/instruments.js";
import { MODEL_DIR } from "./harness.js";

const vocabulary = Vocabulary.fromJSON(JSON.parse(readFileSync(path.join(MODEL_DIR, "vocab.json"), "utf8")));

const settings: TuneSettings = {
  temperature: 1.25,
  style: "slip jig",
  key: "BbMix",
  instrument: "concertina",
  bars: 64,
  tempo: 300,
  seedValue: 2 ** 32 - 1,
  seedId: 2 ** 40,
  chords: false,
  accompaniment: "accordion",
  bodhran: true,
};

describe("button custom ids", () => {
  it("round-trip every setting within Discord's 100 characters, even the longest", () => {
    for (const action of ["again", "more", "hot", "cool"] as const) {
      const id = encodeTuneButton({ action, settings });
      expect(id.length).toBeLessThanOrEqual(CUSTOM_ID_MAX);
      expect(decodeTuneButton(id)).toEqual({ action, settings });
    }
    expect(decodeTuneButton(encodeTuneButton({ action: "submit" }))).toEqual({ action: "submit" });
    // A button from before chords: the defaults (chords on, guitar, no bodhrán).
    const old = "c1:again:t100.sreel.kD.ifiddle.b16.p100.v1";
    expect(decodeTuneButton(old)?.settings).not.toHaveProperty("chords");
    expect(validateRequest({ ...decodeTuneButton(old)?.settings })).toMatchObject({
      chords: true,
      accompaniment: "guitar",
      bodhran: false,
    });
    expect(decodeTuneButton(`${old}.h1`)).toBeUndefined();
    const { seedId: _, ...unseeded } = settings;
    expect(decodeTuneButton(encodeTuneButton({ action: "again", settings: unseeded }))?.settings).toEqual(
      unseeded,
    );
  });

  it("decode to settings validateRequest accepts, for every style and instrument", () => {
    for (const style of STYLE_NAMES)
      for (const instrument of INSTRUMENT_NAMES) {
        const decoded = decodeTuneButton(
          encodeTuneButton({ action: "again", settings: { ...settings, style, instrument } }),
        );
        const s = decoded?.settings as TuneSettings;
        expect(validateRequest({ ...s, key: s.key })).toMatchObject({
          style,
          instrument,
          bars: 64,
          tempo: 300,
        });
      }
  });

  it("reject ids from other versions or tampered ones", () => {
    const good = encodeTuneButton({ action: "hot", settings });
    for (const bad of [
      good.replace("c1:", "c0:"),
      good.replace(":hot:", ":boil:"),
      good.replace(".sslip_jig", ".swaltzz"),
      good.replace(".iconcertina", ".ikazoo"),
      good.replace(".b64", ".b6x4"),
      good.replace("t125.", ""),
      `${good}:extra`,
      `${good}.t3`,
    ])
      expect(decodeTuneButton(bad)).toBeUndefined();
  });

  it("Hotter and Cooler step by 0.3 and stay within 0.1–3", () => {
    expect(stepTemperature(1.2, 1)).toBe(1.5);
    expect(stepTemperature(1.2, -1)).toBe(0.9);
    expect(stepTemperature(2.9, 1)).toBe(3);
    expect(stepTemperature(0.3, -1)).toBe(0.1);
    expect(stepTemperature(3, 1)).toBe(3);
  });
});

describe("attachments", () => {
  const file = (name: string, size: number) => ({ name, bytes: new Uint8Array(size) });

  it("drop the audio preview, then the score, when the files exceed the upload limit", () => {
    const files = [file("tune.mid", 10), file("tune.ogg", 600), file("score.png", 300), file("tune.abc", 5)];
    expect(fitFiles(files, 1000).dropped).toEqual([]);
    expect(fitFiles(files, 900)).toMatchObject({ dropped: ["tune.ogg"] });
    expect(fitFiles(files, 500).kept.map((f) => f.name)).toEqual(["tune.mid", "score.png", "tune.abc"]);
    expect(fitFiles(files, 200)).toMatchObject({ dropped: ["tune.ogg", "score.png"] });
  });

  it("are refused by name or size before downloading, and by content after", () => {
    expect(() => checkUpload({ name: "song.mp3", size: 10 }, 1000)).toThrow(/isn't a tune file/);
    expect(() => checkUpload({ name: "TUNE.MID", size: 1001 }, 1000)).toThrow(
      /1001 bytes; tunes up to 1000 bytes/,
    );
    expect(() => checkUpload({ name: "reel.abc", size: 1000 }, 1000)).not.toThrow();
    const limits = { maxBytes: 1000, maxNotes: 100 };
    expect(() => readTune("x.midi", new TextEncoder().encode("X:1\nK:D\nDEF|"), limits)).toThrow(
      /named like a MIDI file/,
    );
    expect(() => readTune("x.abc", new Uint8Array([0xff, 0xfe, 0]), limits)).toThrow(UserFacingError);
    expect(readTune("x.txt", new TextEncoder().encode("X:1\nK:D\nDEF|"), limits).tune.key.tonic.step).toBe(1);
  });
});

describe("key autocompletion", () => {
  it("offers common folk keys matching what was typed, and keeps the user's own text", () => {
    expect(keySuggestions("")).toHaveLength(24);
    expect(keySuggestions("e")).toEqual(expect.arrayContaining(["E minor", "E dorian", "E major"]));
    expect(keySuggestions("dor").slice(0, 2)).toEqual(["dor", "E dorian"]);
    expect(keySuggestions("A dorian")[0]).toBe("A dorian");
    expect(keySuggestions("C# dorian")[0]).toBe("C# dorian");
  });
});

describe("cooldowns and deadlines", () => {
  it("a user waits the cooldown out, seconds rounded up; clearing forgives", () => {
    let now = 0;
    const cooldowns = new Cooldowns(10_000, () => now);
    expect(cooldowns.secondsLeft("u")).toBe(0);
    cooldowns.start("u");
    now = 500;
    expect(cooldowns.secondsLeft("u")).toBe(10);
    now = 9_001;
    expect(cooldowns.secondsLeft("u")).toBe(1);
    expect(cooldowns.secondsLeft("someone else")).toBe(0);
    now = 10_000;
    expect(cooldowns.secondsLeft("u")).toBe(0);
    cooldowns.start("u");
    cooldowns.clear("u");
    expect(cooldowns.secondsLeft("u")).toBe(0);
    const off = new Cooldowns(0);
    off.start("u");
    expect(off.secondsLeft("u")).toBe(0);
  });

  it("Discord's 15 minutes are counted from the interaction's creation", async () => {
    let now = 1_000_000;
    const deadline = new Deadline(1_000_000, 15 * 60_000, () => now);
    expect(deadline.canSend).toBe(true);
    now += 15 * 60_000 - 4_000;
    expect(deadline.canSend).toBe(false);

    // Work that would finish too late is given up early enough to say so.
    const short = new Deadline(Date.now(), 20_050);
    expect(await beforeDeadline(new Promise(() => {}), short)).toBe(TIMED_OUT);
    expect(await beforeDeadline(Promise.resolve(7), new Deadline(Date.now()))).toBe(7);
  });

  it("deadlines run from when an interaction arrived, however wrong the host clock", () => {
    const lines: { msg: string; hostClockAheadMs?: number }[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    for (const hostAhead of [20 * 60_000, -20 * 60_000, 5_000, -5_000, 0]) {
      lines.length = 0;
      let now = 1_800_000_000_000;
      const clock = new DiscordClock(log, () => now);
      // Discord made the interaction 300 ms before it arrived; the host clock is off by hostAhead.
      const interaction = { createdTimestamp: now - hostAhead - 300 };
      clock.observeDate(new Date(now - hostAhead - 2_000).toUTCString(), now - 1_800);
      clock.arrived(interaction);
      const deadline = clock.deadline(interaction, 15 * 60_000);
      // Within a second of the truth: 15 min from creation, 300 ms before arrival.
      expect(Math.abs(deadline.at - (now - 300 + 15 * 60_000))).toBeLessThan(1_000);
      expect(deadline.canSend).toBe(true);
      now += 14 * 60_000;
      expect(deadline.canSend).toBe(true);
      now += 60_000;
      expect(deadline.canSend).toBe(false);
      expect(lines.filter((l) => l.hostClockAheadMs !== undefined)).toHaveLength(1);
      expect(Math.abs((lines[0]?.hostClockAheadMs ?? Number.NaN) - hostAhead)).toBeLessThan(1_000);
    }
    expect(describeSkew(20 * 60_000 + 3_000)).toBe("20 min 3 s ahead of");
    expect(describeSkew(-5_200)).toBe("5 s behind");
  });

  it("takes an interaction's transit as at most 3 s, and counts from now one it never saw arrive", () => {
    let now = 1_800_000_000_000;
    const clock = new DiscordClock(pino({ level: "silent" }), () => now);
    clock.observeDate(new Date(now).toUTCString(), now);
    // An id far in the past (a wrong estimate, or a replayed event): no more than 3 s are taken off.
    const old = { createdTimestamp: now - 60 * 60_000 };
    clock.arrived(old);
    expect(clock.deadline(old, 15 * 60_000).at).toBe(now - MAX_TRANSIT_MS + 15 * 60_000);
    now += 10;
    expect(clock.deadline({ createdTimestamp: 0 }, 60_000).at).toBeGreaterThanOrEqual(
      now + 60_000 - MAX_TRANSIT_MS,
    );
  });
});

describe("training submissions", () => {
  const reel = "X:1\nT:R\nM:2/2\nL:1/8\nK:D\nd2fd Adfd|e2ge cege|d2fd Adfd|e2ce d4|]\n";

  it("hash the music, not its spelling: the same tune in another key is the same", () => {
    const inD = prepareTrainingTune(parseAbc(reel), vocabulary);
    const inE = prepareTrainingTune(
      parseAbc(
        "X:2\nT:Other\nM:2/2\nL:1/16\nK:E\ne4g2e2 B2e2g2e2|f4a2f2 d2f2a2f2|e4g2e2 B2e2g2e2|f4d2f2 e8|]\n",
      ),
      vocabulary,
    );
    expect(inE.contentHash).toBe(inD.contentHash);
    expect(inD.tokens.slice(0, 3)).toEqual(["<s>", "M:2/2", "K:major"]);
    expect(vocabulary.unknown(inD.tokens)).toEqual([]);
  });

  it("move a tune by octaves into the model's range, and refuse what it cannot write", () => {
    const high = prepareTrainingTune(parseAbc(reel.replace(/([a-g])/g, "$1''")), vocabulary);
    expect(high.octaveShift).toBe(-1);
    expect(() =>
      prepareTrainingTune(parseAbc("X:1\nT:Five\nM:5/4\nL:1/8\nK:D\nd2e2f2g2a2|a2g2f2e2d2|]\n"), vocabulary),
    ).toThrow(/uses M:5\/4/);
    expect(() =>
      prepareTrainingTune(
        parseAbc("X:1\nT:Long bar\nM:2/2\nL:1/8\nK:D\nd2fd Adfd|e2ge cege c2|d8|]\n"),
        vocabulary,
      ),
    ).toThrow(/bar 2 lasts/);
  });
});
