/**
 * Gateway details discord.js doesn't exercise with this install (no zlib-sync): transport
 * compression, refused encodings, invalid resumes and protocol errors, driven by a raw ws client.
 */
import { inflateSync, constants as zlibConstants } from "node:zlib";
import { GatewayOpcodes } from "discord-api-types/v10";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DiscordEmulator } from "./emulator.js";

type Payload = { op: number; d: unknown; s: number | null; t: string | null };

/** Minimal gateway client: queues decoded payloads, knows the three transport modes. */
class RawClient {
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
  readonly #queue: Payload[] = [];
  #wake: (() => void) | undefined;
  #zlibSoFar = Buffer.alloc(0);
  #zlibConsumed = 0;

  constructor(url: string, mode: "text" | "zlib-stream" | "payload") {
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => this.ws.once("close", (code) => resolve(code)));
    this.ws.on("message", (data: Buffer, isBinary) => {
      let text: string;
      if (!isBinary) text = data.toString("utf8");
      else if (mode === "zlib-stream") {
        // Inflate everything received so far (a sync-flushed stream is decodable at each flush point).
        // @discordjs/ws only flushes its inflater on the Z_SYNC_FLUSH marker, so every frame must end in it.
        if (!data.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])))
          throw new Error("frame without sync flush");
        this.#zlibSoFar = Buffer.concat([this.#zlibSoFar, data]);
        const all = inflateSync(this.#zlibSoFar, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        text = all.subarray(this.#zlibConsumed).toString("utf8");
        this.#zlibConsumed = all.length;
      } else text = inflateSync(data).toString("utf8");
      this.#queue.push(JSON.parse(text) as Payload);
      this.#wake?.();
    });
  }

  async next(): Promise<Payload> {
    while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#queue.shift() as Payload;
  }

  send(op: number, d: unknown): void {
    this.ws.send(JSON.stringify({ op, d }));
  }
}

const emulator = new DiscordEmulator();
const identify = { token: "t", intents: 1, properties: { os: "linux", browser: "raw", device: "raw" } };

beforeAll(async () => {
  await emulator.start();
});

afterAll(async () => {
  await emulator.close();
});

describe("gateway transport", () => {
  it("speaks zlib-stream: HELLO, READY + GUILD_CREATE, heartbeat ACK", async () => {
    const client = new RawClient(
      `ws://127.0.0.1:${emulator.port}/gateway?v=10&encoding=json&compress=zlib-stream`,
      "zlib-stream",
    );
    const hello = await client.next();
    expect(hello.op).toBe(GatewayOpcodes.Hello);
    client.send(GatewayOpcodes.Identify, identify);
    const ready = await client.next();
    expect([ready.t, ready.s]).toEqual(["READY", 1]);
    expect(ready.d).toMatchObject({ resume_gateway_url: `ws://127.0.0.1:${emulator.port}/gateway/resume` });
    const guild = await client.next();
    expect([guild.t, guild.s]).toMatchObject(["GUILD_CREATE", 2]);
    expect(guild.d).toMatchObject({ id: emulator.guildId, unavailable: false });
    client.send(GatewayOpcodes.Heartbeat, 2);
    expect((await client.next()).op).toBe(GatewayOpcodes.HeartbeatAck);
    client.ws.close();
    await client.closed;
  });

  it("honours IDENTIFY compress: true with per-payload zlib", async () => {
    const client = new RawClient(`ws://127.0.0.1:${emulator.port}/gateway?v=10&encoding=json`, "payload");
    await client.next();
    client.send(GatewayOpcodes.Identify, { ...identify, compress: true });
    expect((await client.next()).t).toBe("READY");
    client.ws.close();
    await client.closed;
  });

  it("refuses etf, answers an unknown RESUME with INVALID_SESSION, closes 4003 before auth", async () => {
    const etf = new RawClient(`ws://127.0.0.1:${emulator.port}/gateway?v=10&encoding=etf`, "text");
    expect(await etf.closed).toBe(4002);

    const resumer = new RawClient(
      `ws://127.0.0.1:${emulator.port}/gateway/resume?v=10&encoding=json`,
      "text",
    );
    await resumer.next();
    resumer.send(GatewayOpcodes.Resume, { token: "t", session_id: "nope", seq: 3 });
    expect(await resumer.next()).toMatchObject({ op: GatewayOpcodes.InvalidSession, d: false });
    expect(emulator.gateway.resumes.at(-1)).toMatchObject({ sessionId: "nope", ok: false });
    resumer.ws.close();
    await resumer.closed;

    const early = new RawClient(`ws://127.0.0.1:${emulator.port}/gateway?v=10&encoding=json`, "text");
    await early.next();
    early.send(GatewayOpcodes.PresenceUpdate, { status: "online", since: null, activities: [], afk: false });
    expect(await early.closed).toBe(4003);
  });
});
