/**
 * Interaction lifecycle as Discord enforces it, and the test-facing handle.
 *
 * - The initial callback must arrive within `callbackWindowMs` (Discord: 3 s) and only once.
 * - The webhook token (edits, followups) lives for `tokenLifetimeMs` (Discord: 15 min).
 * - A deferral (type 5) creates a "Bot is thinking..." message with the Loading flag; the first
 *   edit of @original *or the first followup* fills it, keeping the deferral's ephemerality.
 * - For component interactions @original is the message the component is attached to.
 */
import {
  type APIAttachment,
  type APICommandAutocompleteInteractionResponseCallbackData,
  type APIEmbed,
  type APIInteraction,
  type APIMessage,
  type APIMessageInteractionMetadata,
  type APIMessageTopLevelComponent,
  type APIModalInteractionResponseCallbackData,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
} from "discord-api-types/v10";
import {
  isJsonObject,
  type JsonObject,
  type MessageStore,
  numberField,
  type StoredMessage,
} from "./store.js";
import { ApiError, type UploadedFile } from "./types.js";
import type { World } from "./world.js";

export interface CallbackRecord {
  type: InteractionResponseType;
  /** ms since the interaction was dispatched. */
  at: number;
  flags: number;
  ephemeral: boolean;
  /** `data` of the callback body (empty object when absent). */
  data: JsonObject;
  files: UploadedFile[];
}

/**
 * One change the user could see: an initial reply, a component message update, an edit, or a
 * followup. Snapshots: later edits do not mutate earlier entries.
 */
export interface SeenMessage {
  kind: "reply" | "update" | "edit" | "followup";
  /** ms since the interaction was dispatched. */
  at: number;
  messageId: string;
  /** True when this is (or changed) the interaction's @original message. */
  isOriginal: boolean;
  content: string;
  embeds: APIEmbed[];
  components: APIMessageTopLevelComponent[];
  flags: number;
  ephemeral: boolean;
  /** Files uploaded with this request (name + bytes). */
  files: UploadedFile[];
  /** The message's attachments after the change (uploaded files get CDN urls). */
  attachments: APIAttachment[];
  /** JSON the bot sent (callback `data`, or the webhook body / payload_json). */
  body: JsonObject;
  message: APIMessage;
}

/** A REST request about this interaction that the emulator refused (expired token, double ack...). */
export interface RejectedRequest {
  what: "callback" | "followup" | "edit" | "get" | "delete";
  at: number;
  status: number;
  code: number;
  message: string;
}

export class InteractionState {
  readonly callbacks: CallbackRecord[] = [];
  readonly seen: SeenMessage[] = [];
  readonly deletions: { messageId: string; at: number }[] = [];
  readonly rejected: RejectedRequest[] = [];
  readonly autocompleteChoices: APICommandAutocompleteInteractionResponseCallbackData["choices"][] = [];
  readonly modals: APIModalInteractionResponseCallbackData[] = [];
  /** Messages created through this interaction's webhook (original + followups). */
  readonly messageIds = new Set<string>();
  originalMessageId: string | undefined;
  expired = false;
  readonly #listeners = new Set<() => void>();

  constructor(
    readonly payload: APIInteraction,
    readonly dispatchedAt: number,
  ) {
    // For components (and modals opened from one), @original is the message the component is on;
    // it becomes editable once the interaction is acknowledged.
    if (payload.type === InteractionType.MessageComponent || payload.type === InteractionType.ModalSubmit) {
      this.originalMessageId = payload.message?.id;
    }
  }

  get id(): string {
    return this.payload.id;
  }

  get token(): string {
    return this.payload.token;
  }

  get acknowledged(): boolean {
    return this.callbacks.length > 0;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export interface InteractionTiming {
  /** Discord rejects the initial callback after 3 s. `Infinity` disables the check. */
  callbackWindowMs: number;
  /** Webhook token lifetime (15 min on Discord). */
  tokenLifetimeMs: number;
}

const ACCEPTED_CALLBACKS: Record<InteractionType, InteractionResponseType[]> = {
  [InteractionType.Ping]: [InteractionResponseType.Pong],
  [InteractionType.ApplicationCommand]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.Modal,
  ],
  [InteractionType.MessageComponent]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
    InteractionResponseType.Modal,
  ],
  [InteractionType.ApplicationCommandAutocomplete]: [
    InteractionResponseType.ApplicationCommandAutocompleteResult,
  ],
  [InteractionType.ModalSubmit]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
  ],
};

/** Server-side logic for the interaction callback and webhook routes. */
export class InteractionRegistry {
  readonly all: InteractionState[] = [];
  readonly #byId = new Map<string, InteractionState>();
  readonly #byToken = new Map<string, InteractionState>();

  constructor(
    private readonly world: World,
    private readonly messages: MessageStore,
    private readonly timing: InteractionTiming,
    private readonly now: () => number = () => performance.now(),
  ) {}

  register(payload: APIInteraction): InteractionState {
    const state = new InteractionState(payload, this.now());
    this.all.push(state);
    this.#byId.set(state.id, state);
    this.#byToken.set(state.token, state);
    return state;
  }

  byId(id: string): InteractionState | undefined {
    return this.#byId.get(id);
  }

  byToken(token: string): InteractionState | undefined {
    return this.#byToken.get(token);
  }

  /** POST /interactions/:id/:token/callback. Returns the InteractionCallbackResponse for `with_response`. */
  callback(id: string, token: string, body: unknown, files: UploadedFile[]): unknown {
    const state = this.#byId.get(id);
    if (!state || state.token !== token) throw new ApiError(404, 10062, "Unknown interaction");
    return this.guard(state, "callback", () => {
      const elapsed = this.now() - state.dispatchedAt;
      if (state.expired || elapsed > this.timing.callbackWindowMs) {
        throw new ApiError(404, 10062, "Unknown interaction");
      }
      if (state.acknowledged) throw new ApiError(400, 40060, "Interaction has already been acknowledged.");
      if (!isJsonObject(body) || typeof body.type !== "number") {
        throw new ApiError(400, 50035, "Invalid Form Body: type is required");
      }
      const type = body.type as InteractionResponseType;
      if (!ACCEPTED_CALLBACKS[state.payload.type].includes(type)) {
        throw new ApiError(
          400,
          50035,
          `Invalid Form Body: callback type ${type} not valid for this interaction`,
        );
      }
      const data = isJsonObject(body.data) ? body.data : {};
      const flags = numberField(data, "flags") ?? 0;
      const record: CallbackRecord = {
        type,
        at: elapsed,
        flags,
        ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
        data,
        files,
      };
      let message: StoredMessage | undefined;
      switch (type) {
        case InteractionResponseType.ChannelMessageWithSource:
          message = this.createOriginal(state, data, files, 0);
          this.see(state, "reply", message, data, files);
          break;
        case InteractionResponseType.DeferredChannelMessageWithSource:
          message = this.createOriginal(
            state,
            {},
            [],
            MessageFlags.Loading | (flags & MessageFlags.Ephemeral),
          );
          break;
        case InteractionResponseType.DeferredMessageUpdate:
          message = this.componentMessage(state);
          record.ephemeral = ((message?.message.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
          break;
        case InteractionResponseType.UpdateMessage: {
          message = this.componentMessage(state);
          if (!message) throw new ApiError(400, 50035, "Invalid Form Body: no message to update");
          this.messages.edit(message, data, files);
          record.ephemeral = ((message.message.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
          this.see(state, "update", message, data, files);
          break;
        }
        case InteractionResponseType.ApplicationCommandAutocompleteResult:
          state.autocompleteChoices.push(
            Array.isArray(data.choices)
              ? (data.choices as APICommandAutocompleteInteractionResponseCallbackData["choices"])
              : [],
          );
          break;
        case InteractionResponseType.Modal:
          state.modals.push(data as unknown as APIModalInteractionResponseCallbackData);
          break;
        default:
          throw new ApiError(400, 50035, `Invalid Form Body: unsupported callback type ${type}`);
      }
      // Push the callback after the side effects so waiters see a consistent state.
      state.callbacks.push(record);
      state.notify();
      return {
        interaction: {
          id: state.id,
          type: state.payload.type,
          response_message_id: message?.message.id,
          response_message_loading: ((message?.message.flags ?? 0) & MessageFlags.Loading) !== 0,
          response_message_ephemeral: ((message?.message.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
        },
        resource: message ? { type, message: message.message } : { type },
      };
    });
  }

  /** POST /webhooks/:app/:token (followup). */
  followup(appId: string, token: string, body: JsonObject, files: UploadedFile[]): APIMessage {
    const state = this.webhookState(appId, token);
    return this.guard(state, "followup", () => {
      this.checkToken(state);
      if (!state.acknowledged) throw new ApiError(404, 10015, "Unknown Webhook");
      const original = state.originalMessageId ? this.messages.get(state.originalMessageId) : undefined;
      let stored: StoredMessage;
      let isOriginal = false;
      if (original && !original.deleted && ((original.message.flags ?? 0) & MessageFlags.Loading) !== 0) {
        // Discord fills a pending deferral with the first followup (keeping its ephemerality).
        stored = this.messages.edit(original, body, files, false);
        isOriginal = true;
      } else {
        stored = this.messages.create(this.draft(state, 0), body, files, state.id);
        state.messageIds.add(stored.message.id);
      }
      this.see(state, "followup", stored, body, files, isOriginal);
      return stored.message;
    });
  }

  /** GET /webhooks/:app/:token/messages/:ref. */
  getMessage(appId: string, token: string, ref: string): APIMessage {
    const state = this.webhookState(appId, token);
    return this.guard(state, "get", () => {
      this.checkToken(state);
      return this.resolveRef(state, ref).message;
    });
  }

  /** PATCH /webhooks/:app/:token/messages/:ref. */
  editMessage(
    appId: string,
    token: string,
    ref: string,
    body: JsonObject,
    files: UploadedFile[],
  ): APIMessage {
    const state = this.webhookState(appId, token);
    return this.guard(state, "edit", () => {
      this.checkToken(state);
      const stored = this.resolveRef(state, ref);
      this.messages.edit(stored, body, files);
      this.see(state, "edit", stored, body, files);
      return stored.message;
    });
  }

  /** DELETE /webhooks/:app/:token/messages/:ref. */
  deleteMessage(appId: string, token: string, ref: string): void {
    const state = this.webhookState(appId, token);
    this.guard(state, "delete", () => {
      this.checkToken(state);
      const stored = this.resolveRef(state, ref);
      this.messages.delete(stored);
      state.deletions.push({ messageId: stored.message.id, at: this.now() - state.dispatchedAt });
      state.notify();
    });
  }

  /** Runs a request, recording refusals on the interaction so tests can see e.g. a 50027. */
  private guard<T>(state: InteractionState, what: RejectedRequest["what"], fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ApiError) {
        state.rejected.push({
          what,
          at: this.now() - state.dispatchedAt,
          status: error.status,
          code: error.code,
          message: error.message,
        });
        state.notify();
      }
      throw error;
    }
  }

  private webhookState(appId: string, token: string): InteractionState {
    if (appId !== this.world.applicationId) throw new ApiError(404, 10015, "Unknown Webhook");
    const state = this.#byToken.get(token);
    if (!state) throw new ApiError(401, 50027, "Invalid Webhook Token");
    return state;
  }

  private checkToken(state: InteractionState): void {
    if (state.expired || this.now() - state.dispatchedAt > this.timing.tokenLifetimeMs) {
      throw new ApiError(401, 50027, "Invalid Webhook Token");
    }
  }

  private resolveRef(state: InteractionState, ref: string): StoredMessage {
    if (ref === "@original") {
      if (!state.acknowledged || !state.originalMessageId) throw new ApiError(404, 10015, "Unknown Webhook");
      return this.messages.require(state.originalMessageId);
    }
    if (!state.messageIds.has(ref) && ref !== state.originalMessageId) {
      throw new ApiError(404, 10008, "Unknown Message");
    }
    return this.messages.require(ref);
  }

  private componentMessage(state: InteractionState): StoredMessage | undefined {
    return state.originalMessageId ? this.messages.get(state.originalMessageId) : undefined;
  }

  private createOriginal(
    state: InteractionState,
    data: JsonObject,
    files: UploadedFile[],
    forcedFlags: number,
  ) {
    const stored = this.messages.create(this.draft(state, forcedFlags), data, files, state.id);
    state.originalMessageId = stored.message.id;
    state.messageIds.add(stored.message.id);
    return stored;
  }

  private draft(state: InteractionState, forcedFlags: number) {
    const p = state.payload;
    const user = p.member?.user ?? p.user;
    const metadata = user
      ? ({
          id: p.id,
          type: p.type,
          user,
          authorizing_integration_owners: p.authorizing_integration_owners,
          ...(p.type === InteractionType.ApplicationCommand
            ? { name: p.data.name, command_type: p.data.type }
            : {}),
          ...(p.type === InteractionType.MessageComponent ? { interacted_message_id: p.message.id } : {}),
        } as APIMessageInteractionMetadata)
      : undefined;
    return {
      channelId: p.channel?.id ?? p.channel_id ?? this.world.defaultChannel.id,
      guildId: p.guild_id,
      author: this.world.botUser,
      type:
        p.type === InteractionType.ApplicationCommand ? MessageType.ChatInputCommand : MessageType.Default,
      webhookId: this.world.applicationId,
      applicationId: this.world.applicationId,
      interactionMetadata: metadata,
      forcedFlags,
    };
  }

  private see(
    state: InteractionState,
    kind: SeenMessage["kind"],
    stored: StoredMessage,
    body: JsonObject,
    files: UploadedFile[],
    isOriginal = stored.message.id === state.originalMessageId,
  ): void {
    const m = structuredClone(stored.message);
    const flags = m.flags ?? 0;
    state.seen.push({
      kind,
      at: this.now() - state.dispatchedAt,
      messageId: m.id,
      isOriginal,
      content: m.content,
      embeds: m.embeds,
      components: m.components ?? [],
      flags,
      ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
      files,
      attachments: m.attachments,
      body,
      message: m,
    });
    state.notify();
  }
}

/** What tests hold on to after injecting an interaction. */
export class InteractionHandle {
  constructor(
    private readonly state: InteractionState,
    private readonly defaultTimeoutMs: number,
  ) {}

  get id(): string {
    return this.state.id;
  }

  get token(): string {
    return this.state.token;
  }

  get payload(): APIInteraction {
    return this.state.payload;
  }

  get callbacks(): readonly CallbackRecord[] {
    return this.state.callbacks;
  }

  /** Everything the user saw, in order (reply/update/edits/followups). */
  get seen(): readonly SeenMessage[] {
    return this.state.seen;
  }

  get followups(): readonly SeenMessage[] {
    return this.state.seen.filter((s) => s.kind === "followup");
  }

  get edits(): readonly SeenMessage[] {
    return this.state.seen.filter((s) => s.kind === "edit");
  }

  get rejected(): readonly RejectedRequest[] {
    return this.state.rejected;
  }

  get deletions(): readonly { messageId: string; at: number }[] {
    return this.state.deletions;
  }

  /** Ephemerality of the response (from the reply/deferral flags), undefined before acknowledgement. */
  get ephemeral(): boolean | undefined {
    return this.state.callbacks[0]?.ephemeral;
  }

  get expired(): boolean {
    return this.state.expired;
  }

  /** From now on callbacks fail with 10062 and webhook calls with 50027, as after Discord's timeouts. */
  expire(): void {
    this.state.expired = true;
  }

  /** First callback of any type. */
  acknowledged(timeoutMs?: number): Promise<CallbackRecord> {
    return this.waitFor("any callback", () => this.state.callbacks[0], timeoutMs);
  }

  /**
   * Resolves with ms from dispatch to the deferral (type 5 or 6). Rejects straight away if the
   * interaction was acknowledged some other way, so "deferred within 3 s" fails with a reason.
   */
  deferred(timeoutMs?: number): Promise<number> {
    return this.waitFor(
      "a deferral (callback type 5/6)",
      () => {
        const first = this.state.callbacks[0];
        if (!first) return undefined;
        if (
          first.type !== InteractionResponseType.DeferredChannelMessageWithSource &&
          first.type !== InteractionResponseType.DeferredMessageUpdate
        ) {
          throw new Error(`interaction was acknowledged with callback type ${first.type}, not a deferral`);
        }
        return first.at;
      },
      timeoutMs,
    );
  }

  /**
   * The first content the user sees: a type-4 reply, a type-7 update, or, after a deferral, the
   * first edit of @original (or the followup that fills it).
   */
  reply(timeoutMs?: number): Promise<SeenMessage> {
    return this.waitFor(
      "the first visible response",
      () => this.state.seen.find((s) => s.isOriginal),
      timeoutMs,
    );
  }

  /** The `index`-th followup (0-based), including one that filled a deferral. */
  followup(index = 0, timeoutMs?: number): Promise<SeenMessage> {
    return this.waitFor(`followup #${index}`, () => this.followups[index], timeoutMs);
  }

  /** The `index`-th edit (0-based) of any message of this interaction. */
  edit(index = 0, timeoutMs?: number): Promise<SeenMessage> {
    return this.waitFor(`edit #${index}`, () => this.edits[index], timeoutMs);
  }

  /** Choices sent for an autocomplete interaction. */
  autocomplete(
    timeoutMs?: number,
  ): Promise<APICommandAutocompleteInteractionResponseCallbackData["choices"]> {
    return this.waitFor("autocomplete choices", () => this.state.autocompleteChoices[0], timeoutMs);
  }

  /** The modal the bot opened (type 9). Submit it with `emulator.submitModal(...)`. */
  modal(timeoutMs?: number): Promise<APIModalInteractionResponseCallbackData> {
    return this.waitFor("a modal", () => this.state.modals[0], timeoutMs);
  }

  /** The first refused request (e.g. 50027 after `expire()`). */
  rejection(timeoutMs?: number): Promise<RejectedRequest> {
    return this.waitFor("a rejected request", () => this.state.rejected[0], timeoutMs);
  }

  /**
   * Generic wait: `probe` runs now and after every change to this interaction; a defined result
   * resolves, a throw rejects. Times out with a summary of what did happen.
   */
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let unsubscribe = () => {};
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        unsubscribe();
        if (timer) clearTimeout(timer);
        fn();
      };
      const check = () => {
        try {
          const result = probe();
          if (result !== undefined) finish(() => resolve(result));
          return result !== undefined;
        } catch (error) {
          finish(() => reject(error));
          return true;
        }
      };
      if (check()) return;
      unsubscribe = this.state.subscribe(check);
      timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`)),
          ),
        timeoutMs,
      );
    });
  }

  /** One-line summary for failure messages. */
  describe(): string {
    const s = this.state;
    const parts = [
      `interaction ${s.id} (type ${s.payload.type})`,
      `callbacks=[${s.callbacks.map((c) => `${c.type}@${Math.round(c.at)}ms`).join(", ")}]`,
      `seen=[${s.seen.map((m) => `${m.kind}@${Math.round(m.at)}ms`).join(", ")}]`,
    ];
    if (s.rejected.length) {
      parts.push(`rejected=[${s.rejected.map((r) => `${r.what}:${r.status}/${r.code}`).join(", ")}]`);
    }
    return parts.join(" ");
  }
}
