import { decodeOpus, type EncodedOpus, OPUS_GRANULE_RATE, type OpusInputRate } from "./opus.js";
import { AudioPreviewError } from "./preview-error.js";

/**
 * Ogg encapsulation of an Opus stream (RFC 3533, RFC 7845): an OpusHead page, an OpusTags
 * page, then audio pages whose granule position is the 48 kHz sample count (pre-skip
 * included) at the end of their last packet; the last page carries the true end, so the
 * player trims the final frame's padding, and the EOS flag. Plus a reader for tests.
 */

const FLAG_CONTINUED = 0x01;
const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;
/** About one second of 20 ms packets per page: few pages, quick seeking. */
const PACKETS_PER_PAGE = 50;
/** Fixed, so the same tune always gives the same bytes. ("Tune" in ASCII.) */
const STREAM_SERIAL = 0x54756e65;
const VENDOR = "Tunesmith (libopus 1.4 via opusscript)";

export interface MuxOptions {
  /** The sample rate the audio was made at (OpusHead's informational input rate). */
  readonly inputSampleRate: number;
  /** Vorbis-comment tags, e.g. { TITLE: "The Kesh" }. */
  readonly tags?: Readonly<Record<string, string>>;
}

export function muxOggOpus(opus: EncodedOpus, options: MuxOptions): Uint8Array {
  const pages: Uint8Array[] = [];
  let sequence = 0;
  const page = (packets: readonly Uint8Array[], granule: bigint, flags: number): void => {
    pages.push(oggPage(packets, granule, flags, sequence++));
  };
  page([opusHead(opus.preSkip, options.inputSampleRate)], 0n, FLAG_BOS);
  page([opusTags(options.tags ?? {})], 0n, 0);

  const samplesPerPacket = (opus.frameSize * OPUS_GRANULE_RATE) / options.inputSampleRate;
  const end = BigInt(opus.preSkip + opus.samples48k);
  let packetIndex = 0;
  while (packetIndex < opus.packets.length) {
    const packets = takePage(opus.packets, packetIndex);
    packetIndex += packets.length;
    const last = packetIndex === opus.packets.length;
    const decoded = BigInt(opus.preSkip + packetIndex * samplesPerPacket);
    // The last page's granule is the real end (shorter than what was decoded: padding is trimmed).
    page(packets, last ? (end < decoded ? end : decoded) : decoded, last ? FLAG_EOS : 0);
  }
  return concat(pages);
}

/** As many packets as fit one page: at most 255 lacing values, ~1 s of audio. */
function takePage(packets: readonly Uint8Array[], from: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let segments = 0;
  for (let i = from; i < packets.length && out.length < PACKETS_PER_PAGE; i++) {
    const packet = packets[i] as Uint8Array;
    const needed = Math.floor(packet.length / 255) + 1;
    if (segments + needed > 255) break;
    segments += needed;
    out.push(packet);
  }
  return out;
}

function oggPage(
  packets: readonly Uint8Array[],
  granule: bigint,
  flags: number,
  sequence: number,
): Uint8Array {
  const lacing: number[] = [];
  for (const packet of packets) {
    // A packet is 255-byte segments and a final shorter one (0 if it divides evenly).
    for (let n = packet.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  if (lacing.length > 255) throw new RangeError("Ogg page would need more than 255 segments");
  const header = new Uint8Array(27 + lacing.length);
  header.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
  const view = new DataView(header.buffer);
  view.setUint8(4, 0); // version
  view.setUint8(5, flags);
  view.setBigInt64(6, granule, true);
  view.setUint32(14, STREAM_SERIAL, true);
  view.setUint32(18, sequence, true);
  view.setUint8(26, lacing.length);
  header.set(lacing, 27);
  const bytes = concat([header, ...packets]);
  new DataView(bytes.buffer).setUint32(22, oggCrc32(bytes), true);
  return bytes;
}

function opusHead(preSkip: number, inputSampleRate: number): Uint8Array {
  const head = new Uint8Array(19);
  head.set(ascii("OpusHead"));
  const view = new DataView(head.buffer);
  view.setUint8(8, 1); // version
  view.setUint8(9, 1); // channels
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputSampleRate, true);
  view.setInt16(16, 0, true); // output gain
  view.setUint8(18, 0); // mapping family 0: mono or stereo, no table
  return head;
}

function opusTags(tags: Readonly<Record<string, string>>): Uint8Array {
  const utf8 = new TextEncoder();
  const vendor = utf8.encode(VENDOR);
  const comments = Object.entries(tags).map(([k, v]) => utf8.encode(`${k}=${v}`));
  const parts: Uint8Array[] = [ascii("OpusTags"), u32(vendor.length), vendor, u32(comments.length)];
  for (const c of comments) parts.push(u32(c.length), c);
  return concat(parts);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, no final XOR. */
export function oggCrc32(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (bytes[i] as number)) & 0xff] as number)) >>> 0;
  }
  return crc;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

// ——— Reader (tests, diagnostics) ———

export interface OggPage {
  readonly flags: number;
  readonly granule: bigint;
  readonly serial: number;
  readonly sequence: number;
  /** Offset of the page in the file. */
  readonly offset: number;
  readonly length: number;
}

export interface OpusHeader {
  readonly version: number;
  readonly channels: number;
  readonly preSkip: number;
  readonly inputSampleRate: number;
  readonly outputGain: number;
}

export interface OggOpusFile {
  readonly pages: readonly OggPage[];
  readonly head: OpusHeader;
  readonly vendor: string;
  readonly tags: readonly string[];
  /** Audio packets (headers excluded). */
  readonly packets: readonly Uint8Array[];
  /** (final granule − pre-skip) / 48 kHz, as players compute it. */
  readonly seconds: number;
}

/** Splits an Ogg file into pages, checking capture patterns and CRCs, and reassembles packets. */
export function readOggPages(bytes: Uint8Array): { pages: OggPage[]; packets: Uint8Array[] } {
  const pages: OggPage[] = [];
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 27 > bytes.length || String.fromCharCode(...bytes.subarray(offset, offset + 4)) !== "OggS") {
      throw new AudioPreviewError("bad-ogg", `no Ogg page at byte ${offset}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
    const count = view.getUint8(26);
    const lacing = bytes.subarray(offset + 27, offset + 27 + count);
    const bodyLength = lacing.reduce((a, b) => a + b, 0);
    const length = 27 + count + bodyLength;
    if (offset + length > bytes.length)
      throw new AudioPreviewError("bad-ogg", `truncated Ogg page at byte ${offset}`);
    // A real copy (a Buffer's slice() would be a view), since the CRC field is zeroed in place.
    const page = new Uint8Array(bytes.subarray(offset, offset + length));
    const stored = new DataView(page.buffer).getUint32(22, true);
    new DataView(page.buffer).setUint32(22, 0, true);
    if (oggCrc32(page) !== stored)
      throw new AudioPreviewError("bad-ogg", `bad CRC in Ogg page at byte ${offset}`);
    const flags = view.getUint8(5);
    if (!(flags & FLAG_CONTINUED)) pending = [];
    let at = offset + 27 + count;
    for (const size of lacing) {
      pending.push(bytes.subarray(at, at + size));
      at += size;
      if (size < 255) {
        packets.push(concat(pending));
        pending = [];
      }
    }
    pages.push({
      flags,
      granule: view.getBigInt64(6, true),
      serial: view.getUint32(14, true),
      sequence: view.getUint32(18, true),
      offset,
      length,
    });
    offset += length;
  }
  return { pages, packets };
}

/** Reads an Ogg Opus file: headers, audio packets and duration; throws "bad-ogg" if malformed. */
export function readOggOpus(bytes: Uint8Array): OggOpusFile {
  const { pages, packets } = readOggPages(bytes);
  const [headPacket, tagsPacket, ...audio] = packets;
  const first = pages[0];
  const last = pages[pages.length - 1];
  if (!first || !last || !headPacket || !tagsPacket)
    throw new AudioPreviewError("bad-ogg", "no Opus headers");
  if (!(first.flags & FLAG_BOS) || !(last.flags & FLAG_EOS)) {
    throw new AudioPreviewError("bad-ogg", "stream must start with a BOS page and end with an EOS page");
  }
  const textOf = (b: Uint8Array) => new TextDecoder().decode(b);
  if (textOf(headPacket.subarray(0, 8)) !== "OpusHead") throw new AudioPreviewError("bad-ogg", "no OpusHead");
  if (textOf(tagsPacket.subarray(0, 8)) !== "OpusTags") throw new AudioPreviewError("bad-ogg", "no OpusTags");
  const hv = new DataView(headPacket.buffer, headPacket.byteOffset, headPacket.byteLength);
  const head: OpusHeader = {
    version: hv.getUint8(8),
    channels: hv.getUint8(9),
    preSkip: hv.getUint16(10, true),
    inputSampleRate: hv.getUint32(12, true),
    outputGain: hv.getInt16(16, true),
  };
  const tv = new DataView(tagsPacket.buffer, tagsPacket.byteOffset, tagsPacket.byteLength);
  const vendorLength = tv.getUint32(8, true);
  const vendor = textOf(tagsPacket.subarray(12, 12 + vendorLength));
  const tags: string[] = [];
  let at = 12 + vendorLength;
  const count = tv.getUint32(at, true);
  at += 4;
  for (let i = 0; i < count; i++) {
    const n = tv.getUint32(at, true);
    tags.push(textOf(tagsPacket.subarray(at + 4, at + 4 + n)));
    at += 4 + n;
  }
  const seconds = Number(last.granule - BigInt(head.preSkip)) / OPUS_GRANULE_RATE;
  return { pages, head, vendor, tags, packets: audio, seconds };
}

/** Decodes an Ogg Opus file to mono PCM with pre-skip and end padding removed. */
export function decodeOggOpus(bytes: Uint8Array, sampleRate: OpusInputRate = 24_000): Float32Array {
  const file = readOggOpus(bytes);
  const pcm = decodeOpus(file.packets, sampleRate);
  const skip = Math.round((file.head.preSkip * sampleRate) / OPUS_GRANULE_RATE);
  const length = Math.round(file.seconds * sampleRate);
  return pcm.slice(skip, skip + length);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
