import { readAbc } from "./abc-read.js";
import { midiToTune } from "./midi-read.js";
import { MusicError } from "./music-errors.js";
import type { Tune } from "./tune.js";

/**
 * One door for tunes that strangers send: MIDI or ABC, recognised by content (not by
 * the file name, which anyone can change), size-checked before any parsing.
 */
export interface ImportLimits {
  readonly maxBytes?: number;
  readonly maxNotes?: number;
  readonly maxBars?: number;
}

export class UploadError extends MusicError {}

export interface ImportedTune {
  readonly tune: Tune;
  /** What the reader left out or simplified (other voices, chords…), to tell the sender. */
  readonly notes: readonly string[];
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

export function importTune(bytes: Uint8Array, limits: ImportLimits = {}): ImportedTune {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) {
    throw new UploadError(
      "too-large",
      `that file is ${formatBytes(bytes.length)}; tunes up to ${formatBytes(maxBytes)} are accepted`,
    );
  }
  if (bytes.length === 0) throw new UploadError("empty", "that file is empty");
  const { maxNotes, maxBars } = limits;
  const counts = { ...(maxNotes ? { maxNotes } : {}), ...(maxBars ? { maxBars } : {}) };
  if (looksLikeMidi(bytes)) return { tune: midiToTune(bytes, { maxBytes, ...counts }), notes: [] };
  const text = decodeText(bytes);
  // Each byte is at most one character, so the byte limit also bounds the text.
  const { tune, repairs } = readAbc(text, { ...counts, maxChars: maxBytes });
  return { tune, notes: repairs };
}

export function looksLikeMidi(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x54 && bytes[2] === 0x68 && bytes[3] === 0x64; // "MThd"
}

/**
 * UTF-16 with a byte order mark; UTF-8, or else Windows-1252 (older ABC collections are Latin-1: "Ríl" as one byte 0xED)
 * if the bytes read as text; NULs or many control characters mean a binary file, not ABC.
 */
function decodeText(bytes: Uint8Array): string {
  // Windows Notepad's "Unicode" is UTF-16 with a byte order mark.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const controls = bytes.filter((b) => (b < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d].includes(b)) || b === 0x7f);
    text = controls.length > bytes.length / 100 ? "\0" : new TextDecoder("windows-1252").decode(bytes);
  }
  if (text.includes("\0"))
    throw new UploadError("not-a-tune", "that file is neither MIDI nor ABC text (it looks binary)");
  return text.replace(/^\uFEFF/, "");
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}
