/**
 * Gateway emulation over WebSocket (JSON encoding), enough for discord.js / @discordjs/ws:
 * HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay of missed dispatches,
 * and test-driven disconnects.
 *
 * @discordjs/ws connects with `?v=10&encoding=json` and only adds `compress=zlib-stream` when the
 * optional `zlib-sync` package is installed; both that and IDENTIFY `compress: true` (per-payload
 * zlib) are supported so the emulator keeps working if someone adds zlib-sync later.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createDeflate, type Deflate, deflateSync, constants as zlibConstants } from "node:zlib";
import { GatewayDispatchEvents, GatewayOpcodes, type GatewayReadyDispatchData } from "discord-api-types/v10";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { World } from "./world.js";

export interface GatewayOptions {
  world: World;
  /** Sent in HELLO. Long by default so heartbeats don't add noise to short tests. */
  heartbeatIntervalMs: number;
  /** When set, IDENTIFY/RESUME must carry this token (else close 4004). */
  token: string | undefined;
  /** ms since emulator start. */
  clock: () => number;
  /** `ws://127.0.0.1:PORT`, known once the server listens. */
  wsBase: () => string;
}

export interface ConnectionRecord {
  id: number;
  /** `/gateway` for fresh connections, `/gateway/resume` when discord.js used resume_gateway_url. */
  path: string;
  query: Record<string, string>;
  openedAt: number;
  closedAt: number | undefined;
  closeCode: number | undefined;
}

export interface IdentifyRecord {
  at: number;
  connectionId: number;
  sessionId: string;
  intents: number;
  properties: unknown;
  shard: unknown;
  compress: boolean;
}

export interface ResumeRecord {
  at: number;
  connectionId: number;
  sessionId: string;
  /** Last sequence the client had seen. */
  seq: number;
  /** Dispatches replayed because the client missed them. */
  replayed: number;
  ok: boolean;
}

export interface DispatchRecord {
  t: string;
  s: number;
  at: number;
  /** False if no connection was attached: the event waits for a RESUME. */
  delivered: boolean;
}

interface Session {
  id: string;
  seq: number;
  /** Recent dispatches, for replay on RESUME. */
  buffer: { s: number; raw: string }[];
  connection: Connection | undefined;
}

interface Connection {
  record: ConnectionRecord;
  ws: WebSocket;
  session: Session | undefined;
  zlibStream: Deflate | undefined;
  payloadCompression: boolean;
  /** Sends are serialised because zlib-stream output must stay in order. */
  sendChain: Promise<void>;
}

type Payload = { op: number; d: unknown; s: number | null; t: string | null };

const REPLAY_BUFFER = 1000;

export class Gateway {
  readonly connections: ConnectionRecord[] = [];
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly dispatches: DispatchRecord[] = [];
  heartbeats = 0;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sessions = new Map<string, Session>();
  readonly #live = new Set<Connection>();
  readonly #waiters = new Set<() => void>();
  #current: Session | undefined;
  #nextConnectionId = 1;

  constructor(private readonly options: GatewayOptions) {}

  get resumeUrl(): string {
    return `${this.options.wsBase()}/gateway/resume`;
  }

  /** True when a session exists and a connection is attached to it. */
  get connected(): boolean {
    return this.#current?.connection !== undefined;
  }

  get sessionId(): string | undefined {
    return this.#current?.id;
  }

  /** Entry point for the http server's "upgrade" event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    if (url.pathname !== "/gateway" && url.pathname !== "/gateway/resume") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url));
  }

  /**
   * Sends a dispatch on the current session. Without an attached connection it is only buffered and
   * will be replayed on RESUME, exactly like events Discord holds for a disconnected session.
   */
  dispatch(t: string, d: unknown): number {
    const session = this.#current;
    if (!session) throw new Error("gateway: no session; log the client in before injecting events");
    const s = ++session.seq;
    const raw = JSON.stringify({ op: GatewayOpcodes.Dispatch, t, s, d } satisfies Payload);
    session.buffer.push({ s, raw });
    if (session.buffer.length > REPLAY_BUFFER) session.buffer.shift();
    const connection = session.connection;
    if (connection) this.send(connection, raw);
    this.dispatches.push({ t, s, at: this.options.clock(), delivered: connection !== undefined });
    this.wake();
    return s;
  }

  /**
   * Ends the current connection abnormally. Default close code 4000 (Unknown error), which
   * @discordjs/ws answers by resuming; `terminate: true` kills the TCP socket instead (1006).
   */
  async drop(options: { code?: number; terminate?: boolean } = {}): Promise<void> {
    const connection = this.#current?.connection;
    if (!connection) throw new Error("gateway: nothing to drop, no connection attached");
    // Detach first so events injected from now on are buffered for the RESUME.
    this.detach(connection);
    const closed = new Promise<void>((resolve) => connection.ws.once("close", () => resolve()));
    if (options.terminate) connection.ws.terminate();
    else connection.ws.close(options.code ?? 4000, "emulator: connection dropped");
    await closed;
  }

  /** Sends op 7 RECONNECT; discord.js closes with 4200 and resumes. */
  requestReconnect(): void {
    const connection = this.#current?.connection;
    if (!connection) throw new Error("gateway: no connection");
    this.detach(connection);
    this.send(connection, JSON.stringify({ op: GatewayOpcodes.Reconnect, d: null, s: null, t: null }));
  }

  /** Resolves once `predicate` holds, re-checked after every gateway event. */
  waitUntil<T>(what: string, predicate: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`gateway: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** The next successful RESUME after `afterCount` resumes (default: after the current count). */
  waitForResume(timeoutMs: number, afterCount = this.resumes.length): Promise<ResumeRecord> {
    return this.waitUntil("a RESUME", () => this.resumes.slice(afterCount).find((r) => r.ok), timeoutMs);
  }

  async close(): Promise<void> {
    for (const connection of this.#live) {
      connection.ws.terminate();
      connection.zlibStream?.destroy();
    }
    this.#live.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, url: URL): void {
    const record: ConnectionRecord = {
      id: this.#nextConnectionId++,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      openedAt: this.options.clock(),
      closedAt: undefined,
      closeCode: undefined,
    };
    this.connections.push(record);
    const connection: Connection = {
      record,
      ws,
      session: undefined,
      zlibStream: undefined,
      payloadCompression: false,
      sendChain: Promise.resolve(),
    };
    this.#live.add(connection);
    ws.on("close", (code) => {
      record.closedAt = this.options.clock();
      record.closeCode = code;
      this.#live.delete(connection);
      this.detach(connection);
      connection.zlibStream?.destroy();
      this.wake();
    });
    ws.on("error", () => {
      // Abrupt client disconnects surface here; the close handler does the bookkeeping.
    });

    const encoding = url.searchParams.get("encoding") ?? "json";
    const compress = url.searchParams.get("compress");
    if (encoding !== "json" || (compress !== null && compress !== "zlib-stream")) {
      // Real Discord supports etf and zstd-stream too; refuse loudly rather than send garbage.
      ws.close(4002, `emulator supports encoding=json and compress=zlib-stream only`);
      return;
    }
    if (compress === "zlib-stream") connection.zlibStream = createDeflate();

    ws.on("message", (data, isBinary) => this.receive(connection, data, isBinary));
    this.sendPayload(connection, {
      op: GatewayOpcodes.Hello,
      d: {
        heartbeat_interval: this.options.heartbeatIntervalMs,
        _trace: ['["discord-emulator",{"micros":0}]'],
      },
      s: null,
      t: null,
    });
    this.wake();
  }

  private receive(connection: Connection, data: RawData, isBinary: boolean): void {
    let payload: Payload;
    try {
      if (isBinary) throw new Error("binary");
      payload = JSON.parse(rawToString(data)) as Payload;
    } catch {
      connection.ws.close(4002, "Error while decoding payload.");
      return;
    }
    switch (payload.op) {
      case GatewayOpcodes.Heartbeat:
        this.heartbeats++;
        this.sendPayload(connection, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
        return;
      case GatewayOpcodes.Identify:
        this.identify(connection, payload.d);
        return;
      case GatewayOpcodes.Resume:
        this.resume(connection, payload.d);
        return;
      default:
        // Presence updates, voice state, member requests...: accepted and ignored once authenticated.
        if (!connection.session) connection.ws.close(4003, "Not authenticated.");
    }
  }

  private identify(connection: Connection, d: unknown): void {
    if (connection.session) {
      connection.ws.close(4005, "Already authenticated.");
      return;
    }
    const data = (typeof d === "object" && d !== null ? d : {}) as Record<string, unknown>;
    if (this.options.token !== undefined && data.token !== this.options.token) {
      connection.ws.close(4004, "Authentication failed.");
      return;
    }
    if (typeof data.intents !== "number") {
      connection.ws.close(4013, "Invalid intent(s).");
      return;
    }
    connection.payloadCompression = data.compress === true;
    const session: Session = { id: randomBytes(16).toString("hex"), seq: 0, buffer: [], connection };
    this.#sessions.set(session.id, session);
    this.#current = session;
    connection.session = session;
    this.identifies.push({
      at: this.options.clock(),
      connectionId: connection.record.id,
      sessionId: session.id,
      intents: data.intents,
      properties: data.properties,
      shard: data.shard,
      compress: connection.payloadCompression,
    });

    const { world } = this.options;
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: world.botUser,
      guilds: [{ id: world.guildId, unavailable: true }],
      session_id: session.id,
      resume_gateway_url: this.resumeUrl,
      shard: [0, 1],
      application: world.application,
    };
    this.dispatch(GatewayDispatchEvents.Ready, ready);
    this.dispatch(GatewayDispatchEvents.GuildCreate, world.guildCreate());
  }

  private resume(connection: Connection, d: unknown): void {
    const data = (typeof d === "object" && d !== null ? d : {}) as Record<string, unknown>;
    const session = typeof data.session_id === "string" ? this.#sessions.get(data.session_id) : undefined;
    const seq = typeof data.seq === "number" ? data.seq : 0;
    const record: ResumeRecord = {
      at: this.options.clock(),
      connectionId: connection.record.id,
      sessionId: String(data.session_id),
      seq,
      replayed: 0,
      ok: false,
    };
    this.resumes.push(record);
    const tokenOk = this.options.token === undefined || data.token === this.options.token;
    if (!session || !tokenOk || seq > session.seq) {
      // d: false = not resumable; the client will IDENTIFY again.
      this.sendPayload(connection, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
      this.wake();
      return;
    }
    if (session.connection && session.connection !== connection) {
      const stale = session.connection;
      this.detach(stale);
      stale.ws.close(4000, "Session resumed elsewhere");
    }
    session.connection = connection;
    connection.session = session;
    this.#current = session;
    const missed = session.buffer.filter((e) => e.s > seq);
    for (const event of missed) this.send(connection, event.raw);
    record.replayed = missed.length;
    record.ok = true;
    this.dispatch(GatewayDispatchEvents.Resumed, { _trace: ['["discord-emulator",{"micros":0}]'] });
  }

  private detach(connection: Connection): void {
    const session = connection.session;
    if (session?.connection === connection) session.connection = undefined;
  }

  private sendPayload(connection: Connection, payload: Payload): void {
    this.send(connection, JSON.stringify(payload));
  }

  private send(connection: Connection, raw: string): void {
    const { ws } = connection;
    connection.sendChain = connection.sendChain.then(async () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (connection.zlibStream) ws.send(await zlibStreamChunk(connection.zlibStream, raw));
      else if (connection.payloadCompression) ws.send(deflateSync(raw));
      else ws.send(raw);
    });
  }

  private wake(): void {
    for (const check of [...this.#waiters]) check();
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}

/**
 * One message of a zlib-stream: shared deflate context, each message ending in a Z_SYNC_FLUSH
 * (the 00 00 ff ff suffix clients look for).
 */
function zlibStreamChunk(deflate: Deflate, raw: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    deflate.on("data", onData);
    deflate.write(raw, (error) => {
      if (error) reject(error);
    });
    deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      // Output of the flush is pushed before this callback, but emitted on a later tick.
      setImmediate(() => {
        deflate.off("data", onData);
        resolve(Buffer.concat(chunks));
      });
    });
  });
}
