/**
 * HTTP side of the emulator: the REST API under `/api/v{n}` and the attachment CDN under `/cdn`.
 * Each request is parsed once (JSON or multipart), run through fault injection, dispatched to a
 * route handler, and recorded. Handlers stay thin: the interaction rules live in interactions.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { type APIApplication, MessageType } from "discord-api-types/v10";
import type { CommandRegistry } from "./commands.js";
import { type FaultInjector, rateLimitResponse } from "./faults.js";
import type { InteractionRegistry } from "./interactions.js";
import { multipartBoundary, parseMultipart } from "./multipart.js";
import { type Cdn, isJsonObject, type JsonObject, type MessageStore } from "./store.js";
import { ApiError, type HttpMethod, type RestCall, type RouteName, type UploadedFile } from "./types.js";
import type { World } from "./world.js";

export interface RestContext {
  world: World;
  commands: CommandRegistry;
  interactions: InteractionRegistry;
  messages: MessageStore;
  cdn: Cdn;
  faults: FaultInjector;
  /** ms since emulator start. */
  clock: () => number;
  gatewayUrl: () => string;
  /** When set, `Authorization: Bot <token>` must match it. */
  token: string | undefined;
}

interface Request {
  method: HttpMethod;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Route {
  name: RouteName;
  method: HttpMethod;
  /** Path segments after `/api/v10`; `:name` captures a (percent-decoded) segment. */
  pattern: string[];
  /** Bot-token routes; interaction callbacks and webhooks are called without Authorization. */
  auth: boolean;
  handle: (req: Request, ctx: RestContext) => Reply;
}

const json = (body: unknown, status = 200): Reply => ({ status, body });
const noContent: Reply = { status: 204 };

function route(
  name: RouteName,
  method: HttpMethod,
  path: string,
  auth: boolean,
  handle: Route["handle"],
): Route {
  return { name, method, pattern: path.split("/").filter(Boolean), auth, handle };
}

function requireApp(ctx: RestContext, appId: string | undefined): void {
  if (appId !== ctx.world.applicationId) throw new ApiError(404, 10002, "Unknown Application");
}

function requireGuild(ctx: RestContext, guildId: string | undefined): string {
  // Discord answers Missing Access for guilds the bot is not in.
  if (guildId !== ctx.world.guildId) throw new ApiError(403, 50001, "Missing Access");
  return guildId;
}

function requireChannel(ctx: RestContext, channelId: string | undefined) {
  const channel = channelId ? ctx.world.channel(channelId) : undefined;
  if (!channel) throw new ApiError(404, 10003, "Unknown Channel");
  return channel;
}

function objectBody(body: unknown): JsonObject {
  if (body === undefined) return {};
  if (!isJsonObject(body)) throw new ApiError(400, 50109, "The request body contains invalid JSON.");
  return body;
}

function channelMessage(ctx: RestContext, channelId: string, messageId: string | undefined) {
  const stored = ctx.messages.require(messageId ?? "");
  if (stored.message.channel_id !== channelId) throw new ApiError(404, 10008, "Unknown Message");
  return stored;
}

const p = (req: Request, key: string): string => req.params[key] ?? "";

const ROUTES: Route[] = [
  route("gateway.get", "GET", "gateway", false, (_req, ctx) => json({ url: ctx.gatewayUrl() })),
  route("gateway.bot", "GET", "gateway/bot", true, (_req, ctx) =>
    json({
      url: ctx.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    }),
  ),
  route("users.me", "GET", "users/@me", true, (_req, ctx) => json(ctx.world.botUser)),
  route("applications.me", "GET", "applications/@me", true, (_req, ctx) => {
    const app: Partial<APIApplication> = {
      ...ctx.world.application,
      name: ctx.world.botUser.username,
      icon: null,
      description: "",
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: "0".repeat(64),
      team: null,
      summary: "",
      bot: ctx.world.botUser,
    };
    return json(app);
  }),

  route("interaction.callback", "POST", "interactions/:id/:token/callback", false, (req, ctx) => {
    const response = ctx.interactions.callback(p(req, "id"), p(req, "token"), req.body, req.files);
    return req.query.get("with_response") === "true" ? json(response) : noContent;
  }),
  route("webhook.execute", "POST", "webhooks/:appId/:token", false, (req, ctx) => {
    const message = ctx.interactions.followup(
      p(req, "appId"),
      p(req, "token"),
      objectBody(req.body),
      req.files,
    );
    return req.query.get("wait") === "true" ? json(message) : noContent;
  }),
  route("webhook.getMessage", "GET", "webhooks/:appId/:token/messages/:messageId", false, (req, ctx) =>
    json(ctx.interactions.getMessage(p(req, "appId"), p(req, "token"), p(req, "messageId"))),
  ),
  route("webhook.editMessage", "PATCH", "webhooks/:appId/:token/messages/:messageId", false, (req, ctx) =>
    json(
      ctx.interactions.editMessage(
        p(req, "appId"),
        p(req, "token"),
        p(req, "messageId"),
        objectBody(req.body),
        req.files,
      ),
    ),
  ),
  route(
    "webhook.deleteMessage",
    "DELETE",
    "webhooks/:appId/:token/messages/:messageId",
    false,
    (req, ctx) => {
      ctx.interactions.deleteMessage(p(req, "appId"), p(req, "token"), p(req, "messageId"));
      return noContent;
    },
  ),

  route("commands.global.list", "GET", "applications/:appId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.list());
  }),
  route("commands.global.put", "PUT", "applications/:appId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.overwrite(undefined, req.body));
  }),
  route("commands.global.create", "POST", "applications/:appId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.upsert(undefined, req.body), 201);
  }),
  route("commands.global.delete", "DELETE", "applications/:appId/commands/:commandId", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    ctx.commands.remove(undefined, p(req, "commandId"));
    return noContent;
  }),
  route("commands.guild.list", "GET", "applications/:appId/guilds/:guildId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.list(requireGuild(ctx, req.params.guildId)));
  }),
  route("commands.guild.put", "PUT", "applications/:appId/guilds/:guildId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.overwrite(requireGuild(ctx, req.params.guildId), req.body));
  }),
  route("commands.guild.create", "POST", "applications/:appId/guilds/:guildId/commands", true, (req, ctx) => {
    requireApp(ctx, req.params.appId);
    return json(ctx.commands.upsert(requireGuild(ctx, req.params.guildId), req.body), 201);
  }),
  route(
    "commands.guild.delete",
    "DELETE",
    "applications/:appId/guilds/:guildId/commands/:commandId",
    true,
    (req, ctx) => {
      requireApp(ctx, req.params.appId);
      ctx.commands.remove(requireGuild(ctx, req.params.guildId), p(req, "commandId"));
      return noContent;
    },
  ),

  route("guilds.get", "GET", "guilds/:guildId", true, (req, ctx) => {
    if (req.params.guildId !== ctx.world.guildId) throw new ApiError(404, 10004, "Unknown Guild");
    const {
      members: _m,
      channels: _c,
      threads: _t,
      presences: _p,
      voice_states: _v,
      ...guild
    } = ctx.world.guildCreate();
    return json(guild);
  }),
  route("channels.get", "GET", "channels/:channelId", true, (req, ctx) =>
    json(requireChannel(ctx, req.params.channelId)),
  ),
  route("channels.messages.create", "POST", "channels/:channelId/messages", true, (req, ctx) => {
    const channel = requireChannel(ctx, req.params.channelId);
    const stored = ctx.messages.create(
      {
        channelId: channel.id,
        guildId: ctx.world.guildId,
        author: ctx.world.botUser,
        type: MessageType.Default,
      },
      objectBody(req.body),
      req.files,
    );
    return json(stored.message);
  }),
  route("channels.messages.get", "GET", "channels/:channelId/messages/:messageId", true, (req, ctx) =>
    json(channelMessage(ctx, requireChannel(ctx, req.params.channelId).id, req.params.messageId).message),
  ),
  route("channels.messages.edit", "PATCH", "channels/:channelId/messages/:messageId", true, (req, ctx) => {
    const stored = channelMessage(ctx, requireChannel(ctx, req.params.channelId).id, req.params.messageId);
    return json(ctx.messages.edit(stored, objectBody(req.body), req.files).message);
  }),
  route("channels.messages.delete", "DELETE", "channels/:channelId/messages/:messageId", true, (req, ctx) => {
    ctx.messages.delete(
      channelMessage(ctx, requireChannel(ctx, req.params.channelId).id, req.params.messageId),
    );
    return noContent;
  }),
];

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] ?? "";
    const got = segments[i] ?? "";
    if (want.startsWith(":")) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    // discord.js sends `@original` as `%40original`; route on the decoded form.
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON body, or `payload_json` + `files[n]` from a multipart body. */
function parseBody(raw: Buffer, contentType: string | undefined): { body: unknown; files: UploadedFile[] } {
  const boundary = multipartBoundary(contentType);
  if (boundary) {
    let body: unknown;
    const files: UploadedFile[] = [];
    for (const part of parseMultipart(raw, boundary)) {
      if (part.name === "payload_json") {
        body = JSON.parse(part.data.toString("utf8"));
      } else if (part.filename !== undefined) {
        const index = /^files\[(\d+)\]$/.exec(part.name);
        files.push({
          field: part.name,
          index: index ? Number(index[1]) : -1,
          name: part.filename,
          contentType: part.contentType,
          bytes: part.data,
        });
      }
    }
    return { body, files };
  }
  if (raw.length === 0) return { body: undefined, files: [] };
  return { body: JSON.parse(raw.toString("utf8")), files: [] };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined || reply.status === 204) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(reply.body));
  headers["content-type"] = "application/json";
  headers["content-length"] = String(payload.length);
  res.writeHead(reply.status, headers).end(payload);
}

export interface CdnCall {
  path: string;
  status: number;
  attachmentId: string | undefined;
  at: number;
}

export class RestServer {
  /** Every REST call, in completion order. */
  readonly calls: RestCall[] = [];
  readonly cdnCalls: CdnCall[] = [];
  /** Unexpected exceptions inside handlers (emulator bugs); answered with 500. */
  readonly internalErrors: Error[] = [];
  #seq = 0;
  readonly #listeners = new Set<(call: RestCall) => void>();

  constructor(private readonly ctx: RestContext) {}

  /** Entry point for the http server's "request" event. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.process(req, res).catch((error: unknown) => {
      this.internalErrors.push(error instanceof Error ? error : new Error(String(error)));
      send(res, json({ message: "500: Internal Server Error", code: 0 }, 500));
    });
  }

  onCall(listener: (call: RestCall) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seq = ++this.#seq;
    const startedAt = this.ctx.clock();
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    if (url.pathname.startsWith("/cdn/")) return this.serveCdn(req, res, url, startedAt);

    const method = (req.method ?? "GET").toUpperCase() as HttpMethod;
    const api = /^\/api(?:\/v\d+)?(\/.*)?$/.exec(url.pathname);
    const segments = (api?.[1] ?? "").split("/").filter(Boolean).map(decodeSegment);
    const path = `/${segments.join("/")}`;
    let matched: { route: Route; params: Record<string, string> } | undefined;
    let pathKnown = false;
    for (const r of api ? ROUTES : []) {
      const params = matchPattern(r.pattern, segments);
      if (!params) continue;
      pathKnown = true;
      if (r.method === method) {
        matched = { route: r, params };
        break;
      }
    }
    const routeName: RouteName = matched?.route.name ?? "unmatched";
    const params = matched?.params ?? {};
    const authorization = req.headers.authorization;

    const raw = await readBody(req);
    let body: unknown;
    let files: UploadedFile[] = [];
    let reply: Reply | undefined;
    try {
      ({ body, files } = parseBody(raw, req.headers["content-type"]));
    } catch {
      reply = json({ message: "The request body contains invalid JSON.", code: 50109 }, 400);
    }

    const decision = this.ctx.faults.take({ route: routeName, method, path, token: params.token });
    if (decision.delayMs > 0) await sleep(decision.delayMs);

    const action = decision.action;
    if (action?.kind === "reset") {
      // RST rather than FIN: undici then reports ECONNRESET, the one socket error discord.js retries
      // (a plain close surfaces as "SocketError: other side closed" and is not retried).
      req.socket.resetAndDestroy();
      reply = { status: 0 };
    } else if (action?.kind === "rateLimit") {
      const limited = rateLimitResponse(action);
      reply = { status: 429, headers: limited.headers, body: limited.body };
    } else if (action?.kind === "status") {
      reply = json(action.body, action.status);
    } else if (!reply) {
      reply = this.dispatch(matched, pathKnown, method, params, url.searchParams, body, files, authorization);
    }
    if (reply.status !== 0) send(res, reply);

    const call: RestCall = {
      seq,
      method,
      path,
      rawPath: url.pathname,
      route: routeName,
      params,
      query: Object.fromEntries(url.searchParams),
      status: reply.status,
      body,
      files,
      authorized: authorization !== undefined,
      fault: decision.label,
      at: startedAt,
      durationMs: this.ctx.clock() - startedAt,
      response: reply.body,
    };
    this.calls.push(call);
    for (const listener of [...this.#listeners]) listener(call);
  }

  private dispatch(
    matched: { route: Route; params: Record<string, string> } | undefined,
    pathKnown: boolean,
    method: HttpMethod,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
    files: UploadedFile[],
    authorization: string | undefined,
  ): Reply {
    if (!matched) {
      return pathKnown
        ? json({ message: "405: Method Not Allowed", code: 0 }, 405)
        : json({ message: "404: Not Found", code: 0 }, 404);
    }
    if (matched.route.auth && !this.authorized(authorization)) {
      return json({ message: "401: Unauthorized", code: 0 }, 401);
    }
    try {
      return matched.route.handle({ method, params, query, body, files }, this.ctx);
    } catch (error) {
      if (error instanceof ApiError) {
        return {
          status: error.status,
          headers: error.headers,
          body: { message: error.message, code: error.code },
        };
      }
      throw error;
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bot (.+)$/.exec(header ?? "");
    if (!match) return false;
    return this.ctx.token === undefined || match[1] === this.ctx.token;
  }

  private async serveCdn(req: IncomingMessage, res: ServerResponse, url: URL, at: number): Promise<void> {
    // /cdn/attachments/:channelId/:attachmentId/:filename
    const [, , kind, , attachmentId] = url.pathname.split("/");
    const file = kind === "attachments" && attachmentId ? this.ctx.cdn.get(attachmentId) : undefined;
    const decision = this.ctx.faults.take({
      route: "cdn.attachment",
      method: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      token: undefined,
    });
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    let status: number;
    if (decision.action?.kind === "reset") {
      req.socket.resetAndDestroy();
      status = 0;
    } else if (decision.action?.kind === "status" || decision.action?.kind === "rateLimit") {
      status = decision.action.kind === "status" ? decision.action.status : 429;
      res.writeHead(status).end();
    } else if (!file) {
      status = 404;
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
    } else {
      status = 200;
      res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.length) });
      res.end(req.method === "HEAD" ? undefined : file.bytes);
    }
    this.cdnCalls.push({ path: url.pathname, status, attachmentId, at });
  }
}
