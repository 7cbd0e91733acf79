/**
 * Limits applied before any real work, and text shown back safely: file names that try to
 * break out of their code span, bars per seed, downloads at once, and the bound on how
 * long discord.js may keep waiting out rate limits.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RateLimitData } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUpload, DownloadSlots, download, readTune } from "../../src/bot/attachments.js";
import { UserFacingError } from "../../src/bot/error-replies.js";
import { rateLimitBudget } from "../../src/bot/rest-policy.js";
import { codeName, userText } from "../../src/bot/sanitize.js";
import { checkStructure } from "../../src/compose/structure.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { BOS, EOS, tuneToTokens } from "../../src/music/tokens.js";
import { file, type Harness, newUser, privateAnswer, startHarness, tuneMessage } from "./harness.js";

const HOSTILE_NAMES = [
  "a`b``c```.abc",
  "@everyone **bold** <@&300000000000000001>.abc",
  "line one\nline two\r\n# heading\u202e.abc",
  "`` ` ``[click](https://evil.example)``.mid",
  `${"x".repeat(300)}.abc`,
];

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserFacingError) return e.message;
    throw e;
  }
  throw new Error("expected a refusal");
}

/** The inline code spans of a message, as Discord would cut them. */
function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]*)`/g)].map((m) => m[1] as string);
}

describe("file names shown back", () => {
  it("stay inside one code span: no backtick, newline or control character gets out, and they are capped", () => {
    for (const name of HOSTILE_NAMES) {
      const shown = codeName(name);
      expect(shown.startsWith("`") && shown.endsWith("`")).toBe(true);
      const inner = shown.slice(1, -1);
      expect(inner).not.toMatch(/[`\n\r\u202e]/);
      expect([...inner].length).toBeLessThanOrEqual(60);
    }
    expect(codeName("")).toBe("`(no name)`");
    expect(codeName("reel.abc")).toBe("`reel.abc`");
  });

  it("in refusals, the name is one code span and the rest of the message is ours", () => {
    for (const name of HOSTILE_NAMES) {
      const wrongType = messageOf(() => checkUpload({ name: `${name}.exe`, size: 10 }, 1000));
      expect(codeSpans(wrongType)).toHaveLength(1);
      expect(wrongType).toMatch(/^`[^`\n]*` isn't a tune file I can read\. Send MIDI \(/);
      const tooBig = messageOf(() => checkUpload({ name, size: 5000 }, 1000));
      expect(tooBig).toMatch(/^`[^`\n]*` is 5 KB; tunes up to 1000 bytes are accepted/);
      const fakeMidi = messageOf(() => readTune(`${name}.mid`, Buffer.from("not midi"), LIMITS));
      expect(fakeMidi).toMatch(/^`[^`\n]*` is named like a MIDI file but isn't one/);
    }
  });

  it("accepts karaoke MIDI (.kar) like any MIDI file, and names every accepted kind when refusing", () => {
    expect(() => checkUpload({ name: "Song.KAR", size: 10 }, 1000)).not.toThrow();
    expect(messageOf(() => readTune("song.kar", Buffer.from("not midi"), LIMITS))).toMatch(
      /is named like a MIDI file but isn't one/,
    );
    expect(messageOf(() => checkUpload({ name: "song.wav", size: 10 }, 1000))).toContain(
      "Send MIDI (.mid, .midi, .kar) or ABC (.abc, .txt).",
    );
  });

  it("reader messages that quote the file's text are escaped: no markdown, link or heading gets through", () => {
    const abc = "X:1\nT:x\nM:**[click](https://evil.example)** @everyone\nL:1/8\nK:D\nd2|\n";
    const text = messageOf(() => readTune("t.abc", Buffer.from(abc), LIMITS));
    expect(text).toContain("\\*\\*\\[click](https://evil.example)\\*\\*");
    expect(text).toContain("@\u200beveryone");
    expect(text).not.toMatch(/\n/);
  });

  it("userText escapes markdown, headings, lists and masked links, and defuses mentions", () => {
    expect(userText("# Big **tune** [x](https://e.example) @here <@123>", 100)).toBe(
      "\\# Big \\*\\*tune\\*\\* \\[x](https://e.example) @\u200bhere <\u200b@123>",
    );
    expect(userText("a\nb\u200bc", 100)).toBe("a b c");
    expect(userText("x".repeat(50), 10)).toBe(`${"x".repeat(9)}…`);
  });
});

const LIMITS = { maxBytes: 1 << 20, maxNotes: 2000, maxBars: 16 };

describe("bars per seed", () => {
  const bar = "d2fd Adfd|";
  const abc = (bars: number) => `X:1\nT:Long\nM:2/2\nL:1/8\nK:D\n${bar.repeat(bars)}]\n`;

  it("reads a seed within MAX_SEED_BARS and refuses a longer one with the limit named", () => {
    expect(readTune("ok.abc", Buffer.from(abc(16)), LIMITS).tune.elements.length).toBeGreaterThan(16);
    expect(messageOf(() => readTune("long.abc", Buffer.from(abc(17)), LIMITS))).toMatch(
      /^I couldn't read `long\.abc`: .*more than 16 bars/,
    );
  });
});

describe("bars and tokens per request (MAX_REQUEST_BARS, MAX_TOKENS_PER_BAR), through the bot", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { maxRequestBars: 8, maxTokensPerBar: 5 } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("refuses more bars than the operator allows before any work, naming the limit", async () => {
    const run = h.emulator.slash("compose", { options: { bars: 16 }, user: newUser() });
    const refusal = await privateAnswer(run);
    expect(refusal.content).toContain("bars must be a whole number from 4 to 8 (got 16)");
    // The first answer, not an edit of a deferral: nothing was composed.
    expect(refusal.kind).toBe("reply");
  });

  it("composes within the token budget: the default length becomes the limit", async () => {
    const run = h.emulator.slash("compose", { options: { style: "reel" }, user: newUser() });
    const tune = parseAbc(file(await tuneMessage(run, 30_000), "tune.abc").toString("utf8"));
    expect(checkStructure(tune, 8).problems).toEqual([]);
    const music = tuneToTokens(tune).filter((t) => t !== BOS && t !== EOS && !/^[MK]:/.test(t));
    expect(music.length).toBeLessThanOrEqual(8 * 5);
  });
});

/** A file server that holds every response until the test lets it go, counting requests in flight. */
class HeldServer {
  readonly server: Server;
  inFlight = 0;
  maxInFlight = 0;
  served = 0;
  private held: ServerResponse[] = [];
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      this.held.push(res);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` requests are being held. */
  async holding(n: number): Promise<void> {
    while (this.held.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  releaseAll(): void {
    for (const res of this.held.splice(0)) {
      this.inFlight--;
      this.served++;
      res.writeHead(200, { "content-type": "text/plain" }).end("X:1\nK:D\nd|\n");
    }
  }

  async close(): Promise<void> {
    this.releaseAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe("downloads at once (MAX_CONCURRENT_DOWNLOADS)", () => {
  let files: HeldServer;
  let base: string;
  beforeAll(async () => {
    files = new HeldServer();
    base = await files.start();
  });
  afterAll(() => files.close());

  it("never runs more than the limit: the others wait for a slot, then all complete", async () => {
    const slots = new DownloadSlots(2);
    const limits = { maxBytes: 1000, maxNotes: 100, timeoutMs: 60_000, slots };
    const downloads = [1, 2, 3, 4, 5].map((i) =>
      download({ name: `t${i}.abc`, size: 10, url: `${base}/t${i}.abc` }, limits),
    );
    await files.holding(2);
    expect(slots.inUse).toBe(2);
    expect(slots.queued).toBe(3);
    // Let each held pair go until all five have been served.
    while (files.served < 5) {
      await files.holding(Math.min(2, 5 - files.served));
      files.releaseAll();
    }
    const bodies = await Promise.all(downloads);
    expect(bodies.map((b) => Buffer.from(b).toString())).toEqual(Array(5).fill("X:1\nK:D\nd|\n"));
    expect(files.maxInFlight).toBe(2);
    expect(slots.inUse).toBe(0);
    expect(slots.queued).toBe(0);
  });

  it("a download that cannot get a slot before its timeout is refused clearly, without a request", async () => {
    const slots = new DownloadSlots(1);
    const served = files.served;
    const first = download(
      { name: "first.abc", size: 10, url: `${base}/first.abc` },
      { maxBytes: 1000, maxNotes: 100, timeoutMs: 60_000, slots },
    );
    await files.holding(1);
    const refused = await download(
      { name: "second`.abc", size: 10, url: `${base}/second.abc` },
      { maxBytes: 1000, maxNotes: 100, timeoutMs: 50, slots },
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserFacingError);
    expect((refused as UserFacingError).message).toBe(
      "I'm fetching too many files right now and couldn't get to `secondˋ.abc` in time. Please send it again in a minute.",
    );
    expect(slots.queued).toBe(0); // the refused one left the line
    files.releaseAll();
    await first;
    expect(files.served).toBe(served + 1);
    expect(slots.inUse).toBe(0);
  });
});

describe("rate-limit budget (discord.js rejectOnRateLimit)", () => {
  const wait = (url: string, retryAfter = 100): RateLimitData => ({
    global: false,
    method: "PATCH",
    url,
    route: "/webhooks/:id/:token/messages/:id",
    majorParameter: "1/abc",
    hash: "h",
    limit: 5,
    timeToReset: retryAfter,
    retryAfter,
    sublimitTimeout: 0,
    scope: "user",
  });

  it("lets an endpoint wait a few times, then gives up; other endpoints keep their own count", () => {
    let now = 0;
    const budget = rateLimitBudget({ maxWaits: 3, windowMs: 60_000, now: () => now });
    const storm = "https://discord.test/api/v10/webhooks/1/abc/messages/@original";
    expect([1, 2, 3, 4].map(() => budget(wait(storm)))).toEqual([false, false, false, true]);
    expect(budget(wait("https://discord.test/api/v10/webhooks/1/other/messages/@original"))).toBe(false);
    // After a quiet minute the endpoint starts afresh.
    now += 61_000;
    expect(budget(wait(storm))).toBe(false);
  });

  it("refuses at once a wait longer than the longest allowed", () => {
    const budget = rateLimitBudget({ maxWaitMs: 60_000 });
    expect(budget(wait("https://discord.test/a", 120_000))).toBe(true);
    expect(budget(wait("https://discord.test/b", 2_000))).toBe(false);
  });
});
