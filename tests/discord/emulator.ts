/**
 * In-repo Discord emulator for end-to-end tests of a bot built on the real discord.js Client.
 *
 *   const emulator = new DiscordEmulator();
 *   await emulator.start();
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], ...emulator.clientOptions() });
 *   await client.login(emulator.botToken);
 *   await emulator.waitForReady();
 *   const seed = emulator.addAttachment("seed.abc", Buffer.from("X:1\nK:D\n"));
 *   const run = emulator.slash("compose", { options: { seed, tempo: 120 } });
 *   expect(await run.deferred()).toBeLessThan(3000);
 *   const shown = await run.reply();  // shown.files[i].name / .bytes, shown.components, ...
 *   ...
 *   await emulator.close();
 *
 * One HTTP server on 127.0.0.1 (random port) carries REST (`/api/v10/...`), the CDN (`/cdn/...`)
 * and the gateway WebSocket (`/gateway`). Module layout: world.ts (fixtures), rest.ts (routes),
 * gateway.ts, interactions.ts (lifecycle + handle), payloads.ts (builders), faults.ts,
 * multipart.ts, store.ts (messages + CDN), commands.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIAttachment, APIInteraction, APIMessage } from "discord-api-types/v10";
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { CommandRegistry } from "./commands.js";
import { FaultInjector } from "./faults.js";
import { Gateway } from "./gateway.js";
import {
  InteractionHandle,
  InteractionRegistry,
  type InteractionTiming,
  type SeenMessage,
} from "./interactions.js";
import { type InteractionContextOptions, type OptionInput, PayloadBuilder } from "./payloads.js";
import { RestServer } from "./rest.js";
import { Cdn, MessageStore } from "./store.js";
import type { RestCall, RouteName } from "./types.js";
import { newToken, World, type WorldOptions } from "./world.js";

export type { CommandRegistration } from "./commands.js";
export type { FaultMatcher, FaultRule } from "./faults.js";
export type { ConnectionRecord, DispatchRecord, IdentifyRecord, ResumeRecord } from "./gateway.js";
export type {
  CallbackRecord,
  InteractionHandle,
  InteractionTiming,
  RejectedRequest,
  SeenMessage,
} from "./interactions.js";
export { type InteractionContextOptions, type OptionInput, opt, type UserSpec } from "./payloads.js";
export type { CdnCall } from "./rest.js";
export type { RestCall, RouteName, UploadedFile } from "./types.js";

export interface EmulatorOptions extends WorldOptions {
  /**
   * Bot token the emulator insists on (REST Authorization and IDENTIFY). Default: any token is
   * accepted; `emulator.botToken` is a plausible fake to log in with.
   */
  token?: string;
  /** HELLO heartbeat interval (default 41 250 ms, Discord's value). */
  heartbeatIntervalMs?: number;
  /** Deadline for the initial interaction callback (default 3000 ms, as on Discord). */
  callbackWindowMs?: number;
  /** Interaction webhook token lifetime (default 15 min). */
  tokenLifetimeMs?: number;
  /** Default timeout of the handle's wait helpers (default 5000 ms). */
  waitTimeoutMs?: number;
}

export interface SlashOptions extends InteractionContextOptions {
  options?: Record<string, OptionInput>;
}

export interface AutocompleteOptions extends SlashOptions {
  /** Name of the option the user is typing into; its value is sent as the partial input. */
  focused: string;
}

/** A message reference for component interactions: the message itself, what a handle saw, or its id. */
export type MessageRef = APIMessage | SeenMessage | string;

export class DiscordEmulator {
  readonly world: World;
  readonly faults = new FaultInjector();
  readonly commands: CommandRegistry;
  readonly gateway: Gateway;
  readonly botToken: string;
  /** Interaction deadlines; mutable so a test can shrink them (e.g. to hit the 3 s window quickly). */
  readonly timing: InteractionTiming;
  readonly #options: EmulatorOptions;
  readonly #cdn: Cdn;
  readonly #messages: MessageStore;
  readonly #interactions: InteractionRegistry;
  readonly #payloads: PayloadBuilder;
  readonly #rest: RestServer;
  readonly #server: Server;
  #startedAt = performance.now();
  #port = 0;

  constructor(options: EmulatorOptions = {}) {
    this.#options = options;
    this.world = new World(options);
    this.botToken =
      options.token ?? `${Buffer.from(this.world.applicationId).toString("base64")}.emulated.fake-token`;
    const clock = () => performance.now() - this.#startedAt;
    this.commands = new CommandRegistry(this.world.ids, this.world.applicationId, clock);
    this.#cdn = new Cdn(this.world.ids);
    this.#messages = new MessageStore(this.world.ids, this.#cdn);
    this.timing = {
      callbackWindowMs: options.callbackWindowMs ?? 3000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 15 * 60_000,
    };
    this.#interactions = new InteractionRegistry(this.world, this.#messages, this.timing);
    this.#payloads = new PayloadBuilder(this.world, this.commands);
    this.gateway = new Gateway({
      world: this.world,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      token: options.token,
      clock,
      wsBase: () => `ws://127.0.0.1:${this.port}`,
    });
    this.#rest = new RestServer({
      world: this.world,
      commands: this.commands,
      interactions: this.#interactions,
      messages: this.#messages,
      cdn: this.#cdn,
      faults: this.faults,
      clock,
      gatewayUrl: () => `ws://127.0.0.1:${this.port}/gateway`,
      token: options.token,
    });
    this.#server = createServer((req, res) => {
      // Discord's clock, not the host's (Node would write the host's).
      res.setHeader("date", new Date(this.world.ids.now()).toUTCString());
      this.#rest.handle(req, res);
    });
    this.#server.on("upgrade", (req, socket, head) => this.gateway.handleUpgrade(req, socket, head));
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.#startedAt = performance.now();
    this.#cdn.baseUrl = this.baseUrl;
    return this;
  }

  /** Closes the gateway sockets and every HTTP connection (undici keeps them alive otherwise). */
  async close(): Promise<void> {
    await this.gateway.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  get port(): number {
    if (!this.#port) throw new Error("emulator not started");
    return this.#port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What goes into `rest.api` (discord.js appends `/v10`). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  /** Spread into `new Client({...})` (or pass `rest` to `new REST(...)`). */
  clientOptions(): { rest: { api: string } } {
    return { rest: { api: this.apiUrl } };
  }

  // ---- world -----------------------------------------------------------------------------------

  get applicationId(): string {
    return this.world.applicationId;
  }

  get guildId(): string {
    return this.world.guildId;
  }

  get channelId(): string {
    return this.world.defaultChannel.id;
  }

  /** Role id by name (e.g. for `user: { roles: [...] }` you may also pass the name directly). */
  roleId(name: string): string {
    const role = this.world.role(name);
    if (!role) throw new Error(`unknown role ${name}`);
    return role.id;
  }

  /** Current state of a message (after edits), or undefined. */
  message(id: string): APIMessage | undefined {
    return this.#messages.get(id)?.message;
  }

  /** Registers bytes on the CDN and returns an attachment as Discord would put in `resolved`. */
  addAttachment(filename: string, bytes: Uint8Array | string, contentType?: string): APIAttachment {
    const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    return { ...this.#cdn.add(this.channelId, filename, data, contentType), ephemeral: true };
  }

  // ---- REST log --------------------------------------------------------------------------------

  /** Every REST call, in completion order. */
  get calls(): readonly RestCall[] {
    return this.#rest.calls;
  }

  /** Downloads from the CDN route. */
  get cdnCalls() {
    return this.#rest.cdnCalls;
  }

  /** Handler crashes (emulator bugs) that were answered with 500. Tests may assert it's empty. */
  get internalErrors(): readonly Error[] {
    return this.#rest.internalErrors;
  }

  callsTo(route: RouteName, method?: string): RestCall[] {
    return this.#rest.calls.filter((c) => c.route === route && (method === undefined || c.method === method));
  }

  /** REST calls made for one interaction (its callback and webhook routes), in completion order. */
  callsFor(handle: InteractionHandle): RestCall[] {
    return this.#rest.calls.filter((c) => c.params.token === handle.token);
  }

  /** Resolves with the first recorded call (already recorded or future) matching `predicate`. */
  waitForCall(
    predicate: (call: RestCall) => boolean,
    timeoutMs = this.#options.waitTimeoutMs ?? 5000,
  ): Promise<RestCall> {
    const existing = this.#rest.calls.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const off = this.#rest.onCall((call) => {
        if (!predicate(call)) return;
        off();
        clearTimeout(timer);
        resolve(call);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a matching REST call`));
      }, timeoutMs);
    });
  }

  // ---- gateway ---------------------------------------------------------------------------------

  /** Waits until a client has identified and received READY + GUILD_CREATE. */
  waitForReady(timeoutMs = this.#options.waitTimeoutMs ?? 5000): Promise<void> {
    return this.gateway
      .waitUntil(
        "IDENTIFY + READY",
        () => (this.gateway.connected && this.gateway.identifies.length > 0 ? true : undefined),
        timeoutMs,
      )
      .then(() => undefined);
  }

  /**
   * Drops the gateway connection abnormally (close 4000 by default, or `terminate` the socket);
   * discord.js reconnects to `resume_gateway_url` and RESUMEs. Await `gateway.waitForResume()`.
   */
  dropGateway(options: { code?: number; terminate?: boolean } = {}): Promise<void> {
    return this.gateway.drop(options);
  }

  // ---- interactions ----------------------------------------------------------------------------

  /** A user runs `/command` ("compose", "admin review", "group sub cmd") with these option values. */
  slash(command: string, options: SlashOptions = {}): InteractionHandle {
    return this.inject((ids) => this.#payloads.chatInput(ids, command, options.options ?? {}, options));
  }

  /** A user types into an autocompleted option of `/command`. */
  autocomplete(command: string, options: AutocompleteOptions): InteractionHandle {
    return this.inject((ids) =>
      this.#payloads.autocomplete(ids, command, options.options ?? {}, options.focused, options),
    );
  }

  /** A user clicks the button `customId` on a message (checked to exist and be enabled). */
  click(message: MessageRef, customId: string, ctx: InteractionContextOptions = {}): InteractionHandle {
    const current = this.resolveMessage(message);
    assertComponent(current, customId, "button");
    return this.inject((ids) => this.#payloads.button(ids, current, customId, ctx));
  }

  /** A user picks `values` in the string select `customId` on a message. */
  select(
    message: MessageRef,
    customId: string,
    values: string[],
    ctx: InteractionContextOptions = {},
  ): InteractionHandle {
    const current = this.resolveMessage(message);
    assertComponent(current, customId, "select");
    return this.inject((ids) => this.#payloads.stringSelect(ids, current, customId, values, ctx));
  }

  /**
   * A user submits a modal. Pass the modal the bot opened (`await handle.modal()`) to mirror its
   * layout (Label vs legacy action rows); `fields` maps text input custom_id → value.
   */
  submitModal(
    modal: { custom_id: string; components?: unknown[] } | string,
    fields: Record<string, string>,
    ctx: InteractionContextOptions & { message?: MessageRef } = {},
  ): InteractionHandle {
    const customId = typeof modal === "string" ? modal : modal.custom_id;
    const labels =
      typeof modal !== "string" &&
      (modal.components ?? []).some((c) => typeof c === "object" && c !== null && "component" in c);
    const message = ctx.message ? this.resolveMessage(ctx.message) : undefined;
    return this.inject((ids) => this.#payloads.modalSubmit(ids, customId, fields, labels, message, ctx));
  }

  /** Handle for an interaction injected earlier, by id or token. */
  interaction(idOrToken: string): InteractionHandle | undefined {
    const state = this.#interactions.byId(idOrToken) ?? this.#interactions.byToken(idOrToken);
    return state ? new InteractionHandle(state, this.#options.waitTimeoutMs ?? 5000) : undefined;
  }

  /** Dispatches any INTERACTION_CREATE payload (for shapes the helpers don't cover). */
  dispatchInteraction(payload: APIInteraction): InteractionHandle {
    return this.inject(() => payload);
  }

  private inject(build: (ids: { id: string; token: string }) => APIInteraction): InteractionHandle {
    if (!this.gateway.sessionId)
      throw new Error("no gateway session: log the client in before injecting interactions");
    const payload = build({ id: this.world.ids.next(), token: newToken() });
    const state = this.#interactions.register(payload);
    this.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return new InteractionHandle(state, this.#options.waitTimeoutMs ?? 5000);
  }

  private resolveMessage(ref: MessageRef): APIMessage {
    const id = typeof ref === "string" ? ref : "messageId" in ref ? ref.messageId : ref.id;
    const stored = this.#messages.get(id);
    if (stored?.deleted) throw new Error(`message ${id} was deleted`);
    // Prefer the live version so clicks see the latest components.
    const message = stored?.message ?? (typeof ref === "object" && "id" in ref ? ref : undefined);
    if (!message) throw new Error(`unknown message ${id}`);
    return structuredClone(message);
  }
}

/** Fails fast when a test clicks something the user could not click. */
function assertComponent(message: APIMessage, customId: string, kind: "button" | "select"): void {
  const found = findComponent(message.components ?? [], customId);
  if (!found) throw new Error(`message ${message.id} has no component with custom_id "${customId}"`);
  if (found.disabled === true)
    throw new Error(`component "${customId}" on message ${message.id} is disabled`);
  const isButton = found.type === 2;
  if ((kind === "button") !== isButton) throw new Error(`component "${customId}" is not a ${kind}`);
}

type ComponentLike = { type?: unknown; custom_id?: unknown; disabled?: unknown };

/** Depth-first search through rows, containers, sections (accessory) and labels (component). */
function findComponent(nodes: readonly unknown[], customId: string): ComponentLike | undefined {
  for (const node of nodes) {
    if (typeof node !== "object" || node === null) continue;
    const c = node as ComponentLike & { components?: unknown; accessory?: unknown; component?: unknown };
    if (c.custom_id === customId) return c;
    const children = [
      ...(Array.isArray(c.components) ? c.components : []),
      ...(c.accessory ? [c.accessory] : []),
      ...(c.component ? [c.component] : []),
    ];
    const hit = findComponent(children, customId);
    if (hit) return hit;
  }
  return undefined;
}
