/**
 * Minimal multipart/form-data parser for the emulator's REST side.
 *
 * discord.js (via @discordjs/rest + undici FormData) uploads files as `files[n]` parts next to a
 * `payload_json` part. Bodies are small in tests, so we parse the whole buffer at once instead of
 * pulling in a streaming parser dependency.
 */

export interface MultipartPart {
  /** Form field name, e.g. `payload_json` or `files[0]`. */
  name: string;
  /** Present for file parts. */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** Extracts the boundary from a `multipart/form-data; boundary=...` content type, if it is one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Parses a complete multipart body. Throws on malformed input so the emulator can answer 400. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  // Every delimiter after the first is preceded by CRLF; searching for it keeps CRLFs inside file bytes intact.
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);
  const parts: MultipartPart[] = [];

  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error("multipart: opening boundary not found");
  pos += delimiter.length;

  for (;;) {
    // "--" right after a delimiter marks the end of the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw new Error("multipart: malformed boundary line");
    pos += 2;

    const headerEnd = body.indexOf(HEADER_END, pos);
    if (headerEnd < 0) throw new Error("multipart: unterminated part headers");
    const headers = parseHeaders(body.subarray(pos, headerEnd).toString("utf8"));
    const dataStart = headerEnd + HEADER_END.length;
    const dataEnd = body.indexOf(nextDelimiter, dataStart);
    if (dataEnd < 0) throw new Error("multipart: closing boundary not found");

    const disposition = headers.get("content-disposition") ?? "";
    const name = dispositionParam(disposition, "name");
    if (name === undefined) throw new Error("multipart: part without a name");
    const filename = dispositionParam(disposition, "filename*") ?? dispositionParam(disposition, "filename");
    const part: MultipartPart = { name, data: Buffer.from(body.subarray(dataStart, dataEnd)) };
    if (filename !== undefined) part.filename = filename;
    const contentType = headers.get("content-type");
    if (contentType !== undefined) part.contentType = contentType;
    parts.push(part);

    pos = dataEnd + nextDelimiter.length;
  }
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Reads `name="..."` / `filename*=UTF-8''...` from a Content-Disposition header. undici follows the
 * HTML spec and percent-escapes `"`, CR and LF inside quoted values, so those are decoded here.
 */
function dispositionParam(disposition: string, key: string): string | undefined {
  const escapedKey = key.replace(/[*]/g, "\\*");
  const re = new RegExp(`;\\s*${escapedKey}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i");
  const match = re.exec(disposition);
  if (!match) return undefined;
  if (key.endsWith("*")) {
    const raw = (match[2] ?? match[1] ?? "").trim();
    const quote = raw.indexOf("''");
    return decodeURIComponent(quote >= 0 ? raw.slice(quote + 2) : raw);
  }
  const value = match[1] ?? match[2]?.trim() ?? "";
  return value.replace(/\\(.)/g, "$1").replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
}
