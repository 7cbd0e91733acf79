/**
 * Mutable state behind the REST routes: messages (interaction responses, followups, channel
 * messages) and the CDN's attachment bytes. Message bodies sent by the bot are applied with
 * Discord's create/edit semantics so tests can inspect what a user would actually see.
 */
import { randomBytes } from "node:crypto";
import {
  type APIAttachment,
  type APIEmbed,
  type APIMessage,
  type APIMessageTopLevelComponent,
  type APIUser,
  type AttachmentFlags,
  MessageFlags,
  type MessageType,
} from "discord-api-types/v10";
import type { UploadedFile } from "./types.js";
import { ApiError } from "./types.js";
import type { Snowflakes } from "./world.js";

/** JSON object as received from the bot; the one place untyped input enters the emulator. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const CONTENT_TYPES: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  abc: "text/vnd.abc; charset=utf-8",
  json: "application/json; charset=utf-8",
  mid: "audio/midi",
  midi: "audio/midi",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  wav: "audio/wav",
  png: "image/png",
  jpg: "image/jpeg",
  svg: "image/svg+xml",
  pdf: "application/pdf",
};

export function guessContentType(filename: string): string {
  const ext = filename.slice(filename.lastIndexOf(".") + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

export interface CdnFile {
  attachment: APIAttachment;
  contentType: string;
  bytes: Buffer;
}

/** Serves attachment bytes under `/cdn/attachments/:channel/:id/:name`, like cdn.discordapp.com. */
export class Cdn {
  readonly files = new Map<string, CdnFile>();
  baseUrl = "";

  constructor(private readonly ids: Snowflakes) {}

  add(channelId: string, filename: string, bytes: Uint8Array, contentType?: string, description?: string) {
    if (!this.baseUrl) throw new Error("emulator not started: attachment URLs need its port");
    const id = this.ids.next();
    const type = contentType ?? guessContentType(filename);
    // Real CDN URLs are signed (ex/is/hm); bots must treat them as opaque, so mimic the shape.
    const now = Math.floor(Date.now() / 1000);
    const signature = `?ex=${(now + 86_400).toString(16)}&is=${now.toString(16)}&hm=${randomBytes(32).toString("hex")}&`;
    const url = `${this.baseUrl}/cdn/attachments/${channelId}/${id}/${encodeURIComponent(filename)}${signature}`;
    const attachment: APIAttachment = {
      id,
      filename,
      size: bytes.byteLength,
      url,
      proxy_url: url,
      content_type: type,
      flags: 0 as AttachmentFlags,
    };
    if (description !== undefined) attachment.description = description;
    this.files.set(id, { attachment, contentType: type, bytes: Buffer.from(bytes) });
    return attachment;
  }

  get(id: string): CdnFile | undefined {
    return this.files.get(id);
  }
}

export interface StoredMessage {
  message: APIMessage;
  deleted: boolean;
  /** Interaction whose webhook owns this message, if any. */
  interactionId: string | undefined;
}

export interface MessageDraft {
  channelId: string;
  guildId: string | undefined;
  author: APIUser;
  type: MessageType;
  /** Set for webhook (interaction) messages. */
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: APIMessage["interaction_metadata"];
  /** Flags the bot cannot choose via the body (e.g. Loading for a deferral, Ephemeral inherited). */
  forcedFlags?: number;
}

/** Message flags a bot may set when creating a message. */
const CREATE_FLAGS =
  MessageFlags.Ephemeral |
  MessageFlags.SuppressEmbeds |
  MessageFlags.SuppressNotifications |
  MessageFlags.IsComponentsV2;
/** Flags an edit may change; ephemerality is fixed at creation. */
const EDIT_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;

export class MessageStore {
  readonly messages = new Map<string, StoredMessage>();

  constructor(
    private readonly ids: Snowflakes,
    private readonly cdn: Cdn,
  ) {}

  get(id: string): StoredMessage | undefined {
    return this.messages.get(id);
  }

  /** Live (not deleted) message or 404 Unknown Message. */
  require(id: string): StoredMessage {
    const stored = this.messages.get(id);
    if (!stored || stored.deleted) throw new ApiError(404, 10008, "Unknown Message");
    return stored;
  }

  create(
    draft: MessageDraft,
    body: JsonObject,
    files: UploadedFile[],
    interactionId?: string,
  ): StoredMessage {
    const flags = ((numberField(body, "flags") ?? 0) & CREATE_FLAGS) | (draft.forcedFlags ?? 0);
    const message: APIMessage = {
      id: this.ids.next(),
      channel_id: draft.channelId,
      author: draft.author,
      content: stringField(body, "content") ?? "",
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: body.tts === true,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: this.attachmentsFor(draft.channelId, [], body, files),
      embeds: arrayField<APIEmbed>(body, "embeds") ?? [],
      components: arrayField<APIMessageTopLevelComponent>(body, "components") ?? [],
      pinned: false,
      type: draft.type,
      flags,
    };
    if (draft.guildId) (message as APIMessage & { guild_id?: string }).guild_id = draft.guildId;
    if (draft.webhookId) message.webhook_id = draft.webhookId;
    if (draft.applicationId) message.application_id = draft.applicationId;
    if (draft.interactionMetadata) message.interaction_metadata = draft.interactionMetadata;
    const stored: StoredMessage = { message, deleted: false, interactionId };
    this.messages.set(message.id, stored);
    return stored;
  }

  /**
   * Applies an edit with Discord's semantics: absent fields stay, `attachments` (when given) lists
   * the existing attachments to keep plus new ones by upload index, Loading is cleared.
   */
  edit(stored: StoredMessage, body: JsonObject, files: UploadedFile[], markEdited = true): StoredMessage {
    const m = stored.message;
    if ("content" in body) m.content = stringField(body, "content") ?? "";
    if ("embeds" in body) m.embeds = arrayField<APIEmbed>(body, "embeds") ?? [];
    if ("components" in body)
      m.components = arrayField<APIMessageTopLevelComponent>(body, "components") ?? [];
    if ("attachments" in body || files.length > 0) {
      m.attachments = this.attachmentsFor(m.channel_id, m.attachments, body, files);
    }
    const current = m.flags ?? 0;
    const requested = numberField(body, "flags");
    const kept = current & ~EDIT_FLAGS & ~MessageFlags.Loading;
    m.flags = kept | ((requested ?? current) & EDIT_FLAGS);
    if (markEdited) m.edited_timestamp = new Date().toISOString();
    return stored;
  }

  delete(stored: StoredMessage): void {
    stored.deleted = true;
  }

  /**
   * Resolves the message's attachment list. With `attachments` in the body: entries with an id of
   * an existing attachment are kept, entries whose id is an upload index become new attachments.
   * Uploads not referenced are still attached (Discord is lenient here too).
   */
  private attachmentsFor(
    channelId: string,
    existing: APIAttachment[],
    body: JsonObject,
    files: UploadedFile[],
  ): APIAttachment[] {
    const listed = arrayField<unknown>(body, "attachments");
    const result: APIAttachment[] = [];
    const used = new Set<UploadedFile>();
    const upload = (file: UploadedFile, meta: JsonObject | undefined) => {
      used.add(file);
      const description = meta ? stringField(meta, "description") : undefined;
      const name = (meta ? stringField(meta, "filename") : undefined) ?? file.name;
      // undici labels anything magic-bytes can't sniff as octet-stream; Discord would sniff/guess instead.
      const sent =
        file.contentType && file.contentType !== "application/octet-stream" ? file.contentType : undefined;
      result.push(this.cdn.add(channelId, name, file.bytes, sent, description));
    };
    if (listed === undefined) {
      result.push(...existing);
    } else {
      for (const entry of listed) {
        if (!isJsonObject(entry)) continue;
        const id = String(entry.id ?? "");
        const keep = existing.find((a) => a.id === id);
        if (keep) {
          result.push(keep);
          continue;
        }
        const file = files.find((f) => String(f.index) === id);
        if (file) upload(file, entry);
        else throw new ApiError(400, 50035, `Invalid Form Body: attachments: unknown attachment id ${id}`);
      }
    }
    for (const file of files) if (!used.has(file) && file.index >= 0) upload(file, undefined);
    return result;
  }
}

export function stringField(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === "string" ? v : undefined;
}

export function numberField(obj: JsonObject, key: string): number | undefined {
  const v = obj[key];
  return typeof v === "number" ? v : undefined;
}

/** Arrays from the bot are passed through as-is (we store what was sent, not a re-validated copy). */
export function arrayField<T>(obj: JsonObject, key: string): T[] | undefined {
  const v = obj[key];
  return Array.isArray(v) ? (v as T[]) : undefined;
}
