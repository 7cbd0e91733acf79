import { type ImportedTune, importTune, looksLikeMidi } from "../music/import.js";
import { MusicError } from "../music/music-errors.js";
import { UserFacingError } from "./error-replies.js";
import { codeName, userText } from "./sanitize.js";

/**
 * Files users send (seeds, submissions): checked by name and size before downloading,
 * downloaded with a time and size cap, then recognised by content. The name alone proves
 * nothing, but a .mid that is not MIDI is refused rather than guessed at. Names are shown
 * back only through codeName (a stranger chose them).
 */
/** .kar: karaoke MIDI files (a melody track with lyrics). */
const MIDI_EXTENSIONS = [".mid", ".midi", ".kar"] as const;
const ABC_EXTENSIONS = [".abc", ".txt"] as const;
export const TUNE_EXTENSIONS = [...MIDI_EXTENSIONS, ...ABC_EXTENSIONS] as const;
/** "MIDI (.mid, .midi, .kar) or ABC (.abc, .txt)", for messages and option descriptions. */
export const TUNE_FILE_KINDS = `MIDI (${MIDI_EXTENSIONS.join(", ")}) or ABC (${ABC_EXTENSIONS.join(", ")})`;

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
  readonly maxBars?: number;
  /** Waiting for a download slot counts against it too. */
  readonly timeoutMs?: number;
  /** Shared by every download of the bot (MAX_CONCURRENT_DOWNLOADS). */
  readonly slots?: DownloadSlots;
}

/**
 * At most `size` downloads at once, so a burst of uploads cannot open unbounded
 * connections and buffers. The others wait in arrival order until a slot frees or their
 * own download timeout runs out.
 */
export class DownloadSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("at least one download slot");
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", abandon);
        resolve(release);
      };
      const abandon = () => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      this.waiting.push(grant);
      signal.addEventListener("abort", abandon, { once: true });
    });
  }
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
      `${codeName(upload.name)} isn't a tune file I can read. Send ${TUNE_FILE_KINDS}.`,
    );
  }
  if (upload.size > maxBytes) {
    throw new UserFacingError(
      `${codeName(upload.name)} is ${formatBytes(upload.size)}; tunes up to ${formatBytes(maxBytes)} are accepted. A folk tune fits in a few KB — try a shorter excerpt.`,
    );
  }
}

/** The file's bytes, or a user-facing error when it is unreachable, too slow or too big. */
export async function download(upload: Upload, limits: UploadLimits): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(limits.timeoutMs ?? DOWNLOAD_TIMEOUT_MS);
  let release = () => {};
  if (limits.slots) {
    try {
      release = await limits.slots.acquire(signal);
    } catch {
      throw new UserFacingError(
        `I'm fetching too many files right now and couldn't get to ${codeName(upload.name)} in time. Please send it again in a minute.`,
        "busy",
      );
    }
  }
  try {
    return await fetchCapped(upload, limits.maxBytes, signal);
  } finally {
    release();
  }
}

async function fetchCapped(upload: Upload, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const name = codeName(upload.name);
  const unreachable = () =>
    new UserFacingError(`I couldn't download ${name} from Discord. Please send it again.`);
  const tooSlow = () => new UserFacingError(`Downloading ${name} took too long. Please send it again.`);
  let response: Response;
  try {
    response = await fetch(upload.url, { signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === "TimeoutError") throw tooSlow();
    throw unreachable();
  }
  if (!response.ok || !response.body) throw unreachable();
  const tooBig = () =>
    new UserFacingError(`${name} is larger than ${formatBytes(maxBytes)}; send a smaller file.`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body.cancel();
    throw tooBig();
  }
  // Count while reading: the declared size may be missing or wrong.
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooBig();
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof UserFacingError) throw e;
    if (e instanceof DOMException && e.name === "TimeoutError") throw tooSlow();
    throw unreachable();
  }
  return Buffer.concat(chunks);
}

/** The tune in a downloaded file; every problem is explained in terms the sender can fix. */
export function readTune(
  name: string,
  bytes: Uint8Array,
  limits: Omit<UploadLimits, "timeoutMs">,
): ImportedTune {
  if ((MIDI_EXTENSIONS as readonly string[]).includes(extensionOf(name)) && !looksLikeMidi(bytes)) {
    throw new UserFacingError(
      `${codeName(name)} is named like a MIDI file but isn't one (MIDI files start with "MThd"). Send the real .mid file, or ABC notation as .abc.`,
    );
  }
  try {
    return importTune(bytes, {
      maxBytes: limits.maxBytes,
      maxNotes: limits.maxNotes,
      ...(limits.maxBars ? { maxBars: limits.maxBars } : {}),
    });
  } catch (e) {
    // Reader messages may quote the file's own text (a meter, a key): shown as user text.
    if (e instanceof MusicError)
      throw new UserFacingError(`I couldn't read ${codeName(name)}: ${userText(sentence(e.message), 300)}`);
    throw e;
  }
}

/** Checks, downloads and reads a tune file in one go. */
export async function fetchTune(
  upload: Upload,
  limits: UploadLimits,
): Promise<ImportedTune & { bytes: Uint8Array }> {
  checkUpload(upload, limits.maxBytes);
  const bytes = await download(upload, limits);
  return { ...readTune(upload.name, bytes, limits), bytes };
}

/** A message as a sentence ending in one full stop. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
