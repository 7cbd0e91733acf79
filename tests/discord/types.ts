/** Types shared by the emulator modules and exposed to tests. */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Names of the REST routes the emulator implements. Faults and assertions can target these instead
 * of raw paths (which contain ids, tokens and the `%40original` spelling discord.js uses).
 */
export type RouteName =
  | "gateway.get"
  | "gateway.bot"
  | "users.me"
  | "applications.me"
  | "interaction.callback"
  | "webhook.execute"
  | "webhook.getMessage"
  | "webhook.editMessage"
  | "webhook.deleteMessage"
  | "commands.global.list"
  | "commands.global.put"
  | "commands.global.create"
  | "commands.global.delete"
  | "commands.guild.list"
  | "commands.guild.put"
  | "commands.guild.create"
  | "commands.guild.delete"
  | "channels.get"
  | "channels.messages.create"
  | "channels.messages.get"
  | "channels.messages.edit"
  | "channels.messages.delete"
  | "guilds.get"
  | "cdn.attachment"
  | "unmatched";

/** A file uploaded by the bot in a multipart request. */
export interface UploadedFile {
  /** Form field, e.g. `files[0]`. */
  field: string;
  /** Index parsed from `files[n]` (what `attachments[].id` refers to), or -1 for other fields. */
  index: number;
  name: string;
  contentType: string | undefined;
  bytes: Buffer;
}

/** One REST request as the emulator saw it. */
export interface RestCall {
  /** Arrival order (the list itself is in completion order). */
  seq: number;
  method: string;
  /** Path after `/api/v10`, percent-decoded (`@original`, never `%40original`). */
  path: string;
  /** Path exactly as received, including the `/api/v10` prefix. */
  rawPath: string;
  route: RouteName;
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  status: number;
  /** JSON body (or the parsed `payload_json` part of a multipart body); undefined when empty. */
  body: unknown;
  files: UploadedFile[];
  /** Whether an `Authorization` header was present (interaction routes are sent without it). */
  authorized: boolean;
  /** Which fault, if any, produced or delayed this response. */
  fault: string | undefined;
  /** ms since `emulator.start()` when the request arrived / finished. */
  at: number;
  durationMs: number;
  /** Response body sent back (JSON), for debugging failed assertions. */
  response: unknown;
}

/** Error thrown inside route handlers; becomes a Discord-shaped JSON error response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
