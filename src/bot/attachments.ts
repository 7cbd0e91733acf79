import { MusicError } from "../music/errors.js";
import { importTune, looksLikeMidi } from "../music/import.js";
import type { Tune } from "../music/tune.js";
import { UserFacingError } from "./errors.js";

/**
 * Files users send (seeds, submissions): checked by name and size before downloading,
 * downloaded with a time and size cap, then recognised by content. The name alone proves
 * nothing, but a .mid that is not MIDI is refused rather than guessed at.
 */
export const TUNE_EXTENSIONS = [".mid", ".midi", ".abc", ".txt"] as const;
const MIDI_EXTENSIONS = [".mid", ".midi"];

export const DOWNLOAD_TIMEOUT_MS = 15_000;

export interface Upload {
  readonly name: string;
  readonly size: number;
  readonly url: string;
}

export interface UploadLimits {
  /** The smaller of MAX_ATTACHMENT_BYTES and what Discord says applies here. */
  readonly maxBytes: number;
  readonly maxNotes: number;
  readonly timeoutMs?: number;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot).toLowerCase();
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return n >= 1024 ? `${Math.ceil(n / 1024)} KB` : `${n} bytes`;
}

/** Refuses, before any download, a file that cannot be a tune we accept. */
export function checkUpload(upload: Pick<Upload, "name" | "size">, maxBytes: number): void {
  const extension = extensionOf(upload.name);
  if (!(TUNE_EXTENSIONS as readonly string[]).includes(extension)) {
    throw new UserFacingError(
      `\`${upload.name}\` isn't a tune file I can read. Send a MIDI file (.mid, .midi) or ABC notation (.abc, .txt).`,
    );
  }
  if (upload.size > maxBytes) {
    throw new UserFacingError(
      `\`${upload.name}\` is ${formatBytes(upload.size)}; tunes up to ${formatBytes(maxBytes)} are accepted. A folk tune fits in a few KB — try a shorter excerpt.`,
    );
  }
}

/** The file's bytes, or a user-facing error when it is unreachable, too slow or too big. */
export async function download(upload: Upload, limits: UploadLimits): Promise<Uint8Array> {
  const timeoutMs = limits.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  const unreachable = () =>
    new UserFacingError(`I couldn't download \`${upload.name}\` from Discord. Please send it again.`);
  let response: Response;
  try {
    response = await fetch(upload.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    if (e instanceof DOMException && e.name === "TimeoutError")
      throw new UserFacingError(`Downloading \`${upload.name}\` took too long. Please send it again.`);
    throw unreachable();
  }
  if (!response.ok || !response.body) throw unreachable();
  const tooBig = () =>
    new UserFacingError(
      `\`${upload.name}\` is larger than ${formatBytes(limits.maxBytes)}; send a smaller file.`,
    );
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limits.maxBytes) {
    await response.body.cancel();
    throw tooBig();
  }
  // Count while reading: the declared size may be missing or wrong.
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > limits.maxBytes) throw tooBig();
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof UserFacingError) throw e;
    if (e instanceof DOMException && e.name === "TimeoutError")
      throw new UserFacingError(`Downloading \`${upload.name}\` took too long. Please send it again.`);
    throw unreachable();
  }
  return Buffer.concat(chunks);
}

/** The tune in a downloaded file; every problem is explained in terms the sender can fix. */
export function readTune(name: string, bytes: Uint8Array, limits: Omit<UploadLimits, "timeoutMs">): Tune {
  if (MIDI_EXTENSIONS.includes(extensionOf(name)) && !looksLikeMidi(bytes)) {
    throw new UserFacingError(
      `\`${name}\` is named like a MIDI file but isn't one (MIDI files start with "MThd"). Send the real .mid file, or ABC notation as .abc.`,
    );
  }
  try {
    return importTune(bytes, { maxBytes: limits.maxBytes, maxNotes: limits.maxNotes });
  } catch (e) {
    if (e instanceof MusicError)
      throw new UserFacingError(`I couldn't read \`${name}\`: ${sentence(e.message)}`);
    throw e;
  }
}

/** Checks, downloads and reads a tune file in one go. */
export async function fetchTune(
  upload: Upload,
  limits: UploadLimits,
): Promise<{ tune: Tune; bytes: Uint8Array }> {
  checkUpload(upload, limits.maxBytes);
  const bytes = await download(upload, limits);
  return { tune: readTune(upload.name, bytes, limits), bytes };
}

/** A message as a sentence ending in one full stop. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
