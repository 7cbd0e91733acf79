import { defaultUnit, type KeyField, parseMeter, parseTempo, readKeyField } from "./abc-fields.js";
import { defaultTupletQ } from "./abc-notation.js";
import { type ChordSymbol, parseChordSymbol } from "./chord.js";
import { type Key, KeyParseError } from "./key.js";
import { estimateElementsKey } from "./key-estimate.js";
import { type AbcErrorCode, AbcParseError, type SourcePosition, type TuneRef } from "./music-errors.js";
import { midiOf, type Step, stepOf } from "./pitch.js";
import {
  add,
  cmp,
  div,
  formatRational,
  mul,
  parseRational,
  type Rational,
  RationalOverflowError,
  rat,
  sub,
  ZERO,
} from "./rational.js";
import {
  type BarType,
  DEFAULT_UNIT,
  isCompound,
  type Meter,
  meterLength,
  type NoteElement,
  type RestElement,
  type Tempo,
  type Tune,
  type TuneElement,
} from "./tune.js";
import { type TuneType, tuneTypeOf } from "./tune-type.js";

/**
 * ABC reader for the notation real folk collections use (ABC 2.1; of a tune with several
 * voices, the first, which carries the melody). It reads what abcjs, the field's standard
 * parser, reads: what Tunesmith does not model (unknown fields, decorations and symbols,
 * playing orders, rests in chords…) is passed over and named in `ignored`, so the sender
 * can be told. Only what cannot be a tune (no key, no notes, unreadable lengths, tuplets or
 * fields, hostile sizes) becomes an AbcParseError naming the tune, line and column.
 */

export interface AbcReadOptions {
  /** Refuse tunes with more notes than this (hostile input, not music). */
  readonly maxNotes?: number;
  /** Refuse single notes longer than this many whole notes. */
  readonly maxNoteWholes?: number;
  /** Refuse a text (parseAbc) or a single tune of a file (parseAbcFile) longer than this. */
  readonly maxChars?: number;
  /** Refuse tunes with more bar lines than this. */
  readonly maxBars?: number;
  /** Refuse tunes with more elements (notes, rests, bar lines, tuplets, endings) than this. */
  readonly maxElements?: number;
  /** Refuse tunes whose notes and rests last longer than this many whole notes in all. */
  readonly maxWholes?: number;
}

export interface ParsedTune {
  readonly ref: TuneRef;
  /** The tune's own ABC text, as found in the file. */
  readonly source: string;
  /** 1-based line of the tune's first line in the file. */
  readonly line: number;
  readonly result:
    | {
        ok: true;
        tune: Tune;
        repairs: readonly string[];
        ignored: readonly string[];
        /** Where each of tune.elements starts in `source` (so chord symbols can be written in place). */
        offsets: readonly number[];
      }
    | { ok: false; error: AbcParseError };
}

/** What reading gives besides the tune: changes in words, and the kinds of things passed over. */
export interface AbcReading {
  readonly tune: Tune;
  /** Sentences for the sender: what was left out or simplified (voices, chords, ignored symbols). */
  readonly repairs: string[];
  /** Each kind of thing passed over once, e.g. `field Y:`, `decoration k`, `rest in a chord`. */
  readonly ignored: string[];
  /** Where each of tune.elements starts in the tune's text. */
  readonly offsets: number[];
}

/** Limits checked while reading, so no input makes the reader do unbounded work. */
export const ABC_LIMITS = {
  maxNotes: 20_000,
  maxNoteWholes: 16,
  maxChars: 1024 * 1024,
  maxBars: 5_000,
  maxElements: 50_000,
  maxWholes: 10_000,
} as const satisfies Required<AbcReadOptions>;

/**
 * Every duration must be a whole number of 1/GRID whole notes: 1/512 notes and their
 * triplets, quintuplets and septuplets. Sums of such durations never overflow, whereas
 * a few notes like C/251 D/241 would already exceed exact arithmetic in a bar check.
 */
const GRID = 2 ** 9 * 3 ** 2 * 5 * 7;

/** Splits a file on `X:` and parses every tune; never throws for bad tunes. */
export function parseAbcFile(text: string, options: AbcReadOptions = {}): ParsedTune[] {
  return splitTunes(text).map((chunk, index) => {
    const ref: TuneRef = { index, x: chunk.x, title: chunk.title };
    try {
      const { tune, repairs, ignored, offsets } = parseTuneText(chunk, ref, options);
      return {
        ref,
        source: chunk.text,
        line: chunk.line,
        result: { ok: true, tune, repairs, ignored, offsets },
      };
    } catch (error) {
      if (!(error instanceof AbcParseError)) throw error;
      return { ref, source: chunk.text, line: chunk.line, result: { ok: false, error } };
    }
  });
}

/** Parses the first tune of an ABC text (an upload, a seed); throws AbcParseError. */
export function parseAbc(text: string, options: AbcReadOptions = {}): Tune {
  return readAbc(text, options).tune;
}

/** parseAbc, with what was left out or simplified on the way (voices, chords…) in words. */
export function readAbc(text: string, options: AbcReadOptions = {}): AbcReading {
  const maxChars = options.maxChars ?? ABC_LIMITS.maxChars;
  if (text.length > maxChars)
    throw new AbcParseError("too-large", `the text is longer than ${maxChars} characters`, { index: 0 });
  const first = splitTunes(text)[0];
  if (!first)
    throw new AbcParseError("no-tune", "no ABC tune found (expected a K: line and notes)", { index: 0 });
  return parseTuneText(first, { index: 0, x: first.x, title: first.title }, options);
}

interface Chunk {
  text: string;
  line: number;
  x?: string;
  title?: string;
  /** Fields of the file header (before the first X:) that every tune starts from (ABC 2.1). */
  defaults: readonly string[];
}

/** File header fields a tune inherits: its meter, unit length and decoration letters. */
const FILE_HEADER_FIELD = /^[LMU]:/;
/** Each tune re-reads them: a hostile file header must not multiply the work. */
const MAX_FILE_HEADER_FIELDS = 16;
const MAX_FILE_HEADER_LINE = 200;

function splitTunes(text: string): Chunk[] {
  // A byte order mark (files saved on Windows) would hide the first X: line.
  const lines = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (/^X:/.test(l)) starts.push(i);
  });
  // A file without X: (a pasted tune) is one tune if it has a K: line.
  if (starts.length === 0)
    return lines.some((l) => /^K:/.test(l)) ? [chunkOf(lines, 0, lines.length, [])] : [];
  const defaults = lines
    .slice(0, starts[0])
    .filter((l) => FILE_HEADER_FIELD.test(l) && l.length <= MAX_FILE_HEADER_LINE);
  return starts.map((s, i) => chunkOf(lines, s, starts[i + 1] ?? lines.length, defaults));
}

function chunkOf(lines: string[], from: number, to: number, defaults: readonly string[]): Chunk {
  const body = lines.slice(from, to);
  const field = (letter: string) =>
    body
      .find((l) => l.startsWith(`${letter}:`))
      ?.slice(2)
      .trim();
  return { text: body.join("\n"), line: from + 1, x: field("X"), title: field("T"), defaults };
}

/** ABC 2.1 fields: read (K, L, M, Q, T, U, V), or information that is not music. */
const FIELD_LETTERS = new Set("ABCDEFGHIKLMNOQRSTUVWXZmrs+".split(""));
/** Fields that carry music Tunesmith does not model: passed over with a note. */
const IGNORED_FIELDS: Record<string, string> = {
  P: "parts (P:)",
  Y: "playing order (Y:)",
  W: "words (W:)",
  w: "lyrics (w:)",
};
/** ABC 2.1 predefined decoration symbols; `U:` may add more. */
const DEFAULT_DECORATIONS = ".~HLMOPSTuv";
/** Letters `U:` may define as decorations; undefined ones are passed over, as abcjs does. */
const USER_DECORATION = /[H-Wh-w~]/;
/** At most this many kinds of ignored things are named (a hostile text could have thousands). */
const MAX_IGNORED_KINDS = 12;

interface Header {
  title: string;
  meter?: Meter;
  unit?: Rational;
  tempo?: Tempo;
  key?: Key | "none";
  rhythm?: TuneType;
}

class TuneParser {
  private readonly elements: TuneElement[] = [];
  private readonly offsets: number[] = [];
  private readonly repairs = new Set<string>();
  private readonly ignored = new Set<string>();
  private readonly lineStarts: number[] = [];
  private readonly header: Header = { title: "" };
  private decorations = DEFAULT_DECORATIONS;
  private signature: readonly number[] = [0, 0, 0, 0, 0, 0, 0];
  /** Bar-scoped accidentals, keyed by step and octave (ABC 2.1). */
  private barAccidentals = new Map<string, number>();
  private unit: Rational = DEFAULT_UNIT;
  private meter?: Meter;
  private tuplet?: { p: number; q: number; left: number };
  /** Pending second half of a broken rhythm (`>`/`<`). */
  private brokenNext?: Rational;
  /** A chord symbol read, waiting for the note or rest it belongs to. */
  private pendingChord?: ChordSymbol;
  private noteCount = 0;
  /** A note or rest has been read (a meter line before that is the tune's own meter). */
  private sounded = false;
  private barCount = 0;
  private pos = 0;
  private inBody = false;
  private lastField = "";
  /** The voice read (the first one named), and whether the text is now in another voice. */
  private melodyVoice?: string;
  private otherVoice = false;

  constructor(
    private readonly text: string,
    private readonly ref: TuneRef,
    private readonly firstLine: number,
    private readonly options: Required<AbcReadOptions>,
    private readonly defaults: readonly string[] = [],
  ) {
    this.lineStarts.push(0);
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.lineStarts.push(i + 1);
  }

  parse(): AbcReading {
    // The file header's fields come first; the tune's own header overrides them.
    for (const line of this.defaults) this.field(line[0] as string, stripComment(line.slice(2)), 0);
    for (let i = 0; i < this.lineStarts.length; i++) {
      const start = this.lineStarts[i] ?? 0;
      const end = (this.lineStarts[i + 1] ?? this.text.length + 1) - 1;
      this.parseLine(start, end);
    }
    if (!this.header.key) this.fail("missing-key", "no K: (key) field; every ABC tune needs one", 0);
    if (this.tuplet) this.fail("bad-tuplet", "the tune ends inside a tuplet", this.text.length);
    if (this.brokenNext) this.ignore("a broken rhythm (>) with no note after it");
    if (this.noteCount === 0) this.fail("no-notes", "the tune has no notes", this.text.length);
    let total = ZERO;
    for (const e of this.elements) if (e.kind === "note" || e.kind === "rest") total = add(total, e.duration);
    if (cmp(total, rat(this.options.maxWholes)) > 0) {
      this.fail(
        "too-large",
        `the tune lasts more than ${this.options.maxWholes} whole notes`,
        this.text.length,
      );
    }
    const meter = this.header.meter ?? { num: 4, den: 4 };
    const tune: Tune = {
      title: this.header.title,
      meter,
      unitLength: this.header.unit ?? defaultUnit(meter),
      key: this.header.key === "none" ? estimateElementsKey(this.elements) : (this.header.key as Key),
      ...(this.header.tempo ? { tempo: this.header.tempo } : {}),
      ...(this.header.rhythm ? { rhythm: this.header.rhythm } : {}),
      elements: this.elements,
    };
    const ignored = [...this.ignored];
    const repairs = [...this.repairs];
    if (ignored.length > 0) repairs.push(`ignored what Tunesmith does not model: ${ignored.join(", ")}`);
    return { tune, repairs, ignored, offsets: this.offsets };
  }

  /** Something passed over, named once per kind for the sender. */
  private ignore(kind: string): void {
    if (this.ignored.size < MAX_IGNORED_KINDS) this.ignored.add(kind);
  }

  private parseLine(start: number, end: number): void {
    const line = this.text.slice(start, end);
    if (line.startsWith("%")) return;
    const field = /^([A-Za-z+]):/.exec(line);
    // "B:|" could be a Book field or the note B before a repeat; only note letters are ambiguous.
    // Any other letter and colon starts a field (ABC 2.1), known or not.
    if (field?.[1] && !/^[A-Ga-gz]:[|:\]]/.test(line)) {
      // Fields of a voice that is left out (its clef, key…) are left out with it.
      if (!this.otherVoice || field[1] === "V") this.field(field[1], stripComment(line.slice(2)), start + 2);
      return;
    }
    const inlineVoice = /^\s*\[V:\s*([^\]\s]+)/.exec(line)?.[1];
    if (inlineVoice !== undefined) this.switchVoice(inlineVoice);
    if (this.otherVoice) return;
    if (!this.inBody) {
      if (line.trim() === "") return;
      // abcjs reads music without a K: field in C; so do we, and the key is judged from the notes.
      this.ignore("music before the K: field (read without a key signature)");
      this.header.key = "none";
      this.startBody();
    }
    this.pos = start;
    this.music(end);
  }

  private field(letter: string, value: string, at: number): void {
    const v = value.trim();
    const previous = this.lastField;
    if (letter !== "+") this.lastField = letter;
    switch (letter) {
      case "T":
        if (!this.header.title) this.header.title = v;
        return;
      case "M":
        this.setMeter(v, at);
        return;
      case "L":
        this.setUnit(v, at);
        return;
      case "Q":
        if (!this.header.tempo) {
          const tempo = parseTempo(v, this.unit);
          if (tempo) this.header.tempo = tempo;
        } else if (this.inBody) {
          this.ignore("tempo changes (Q:)");
        }
        return;
      case "K":
        this.setKey(v, at);
        return;
      case "R":
        this.header.rhythm ??= tuneTypeOf(v);
        return;
      case "U": {
        // Whatever the letter is defined as, it is a decoration (not music) from now on.
        const m = /^([~H-Wh-w])\s*=/.exec(v);
        if (m?.[1]) this.decorations += m[1];
        return;
      }
      case "V":
        this.switchVoice(v.split(/\s+/)[0] ?? "");
        return;
      case "+":
        // ABC 2.1 field continuation; only a title's is worth keeping.
        if (previous === "T" && this.header.title) this.header.title += ` ${v}`;
        return;
      default: {
        const ignored = IGNORED_FIELDS[letter];
        if (ignored) this.ignore(ignored);
        // Composer, origin, notes, sources, instructions: information, not music.
        else if (!FIELD_LETTERS.has(letter)) this.ignore(`field ${letter}:`);
        return;
      }
    }
  }

  /**
   * Several voices (`V:` fields or `[V:]`): the first voice named carries the melody and
   * is read; the music of the others (accompaniment, harmony) is left out.
   */
  private switchVoice(id: string): void {
    // Music before the first V: in the body is ABC's default voice, "1".
    this.melodyVoice ??= this.inBody && this.elements.length > 0 ? "1" : id;
    // In the header, V: lines only declare the voices.
    if (!this.inBody) return;
    this.otherVoice = id !== this.melodyVoice;
    if (this.otherVoice)
      this.repairs.add(`kept the first voice (V:${this.melodyVoice}) and left out the others`);
  }

  private setMeter(v: string, at: number): void {
    if (/^\s*none\b/i.test(v)) {
      // Free meter: bars are measured against the meter in force (4/4 if none was given).
      this.ignore("M:none (free meter)");
      return;
    }
    const meter = parseMeter(v);
    if (!meter)
      this.fail(
        "bad-meter",
        `unsupported meter "${v}" (expected e.g. 6/8, 4/4, 2+3/8, C, C|; put music on its own line)`,
        at,
      );
    if (!this.inBody) {
      this.header.meter = meter;
      this.unit = this.header.unit ?? defaultUnit(meter);
      return;
    }
    if (this.meter && this.meter.num === meter.num && this.meter.den === meter.den) return;
    this.meter = meter;
    // Before any music the tune simply starts in this meter.
    if (!this.sounded) this.header.meter = meter;
    else this.append({ kind: "meter", meter }, at);
  }

  private setUnit(v: string, at: number): void {
    const unit = parseRational(v);
    if (!unit || unit.n === 0 || unit.d > 64) this.fail("bad-unit-length", `bad unit note length L:${v}`, at);
    this.unit = unit;
    if (!this.inBody) this.header.unit = unit;
  }

  private setKey(v: string, at: number): void {
    let field: KeyField;
    try {
      field = readKeyField(v);
    } catch (error) {
      if (error instanceof KeyParseError) this.fail("bad-key", error.message, at);
      throw error;
    }
    this.signature = field.signature;
    if (!this.inBody) {
      this.header.key = field.key;
      this.startBody();
    } else {
      // Notes keep their sounding pitch; the tune keeps its first key.
      this.repairs.add("key change folded into accidentals");
    }
  }

  /** The header ends (at K:, or at the first music): meter and unit length are now fixed. */
  private startBody(): void {
    this.inBody = true;
    this.meter = this.header.meter ?? { num: 4, den: 4 };
    this.unit = this.header.unit ?? defaultUnit(this.meter);
  }

  private music(end: number): void {
    const t = this.text;
    while (this.pos < end) {
      const c = t[this.pos] as string;
      const at = this.pos;
      if (c === "%") return; // comment to end of line
      if (" \t`$y*".includes(c)) {
        this.pos++;
      } else if (c === "\\") {
        const after = t.slice(at + 1, end).trim();
        if (after !== "" && !after.startsWith("%")) this.fail("unexpected-symbol", "stray backslash", at);
        return; // line continuation
      } else if (c === "!") {
        this.bang(end);
      } else if (c === "+") {
        this.skipDelimited("+", "+", end, "decoration");
      } else if (c === '"') {
        this.annotation(end);
      } else if (c === "{") {
        this.skipDelimited("{", "}", end, "grace notes");
      } else if (this.decorations.includes(c)) {
        this.pos++;
      } else if (c === "(") {
        if (/\d/.test(t[at + 1] ?? "")) this.tupletStart();
        else this.pos++; // slur
      } else if (c === ")") {
        this.pos++;
      } else if (c === "-") {
        this.tie();
      } else if (c === ">" || c === "<") {
        this.broken();
      } else if (c === "[") {
        this.bracket(end);
        if (this.otherVoice) return;
      } else if (c === "|" || c === ":") {
        this.barLine();
      } else if ("^_=".includes(c) && !this.accidentalHasNote()) {
        this.ignore("accidentals without a note");
        this.pos = at + (/^(\^\^|__)/.test(t.slice(at, at + 2)) ? 2 : 1);
      } else if ("^_=".includes(c) || /[A-Ga-g]/.test(c)) {
        this.push(this.note(), at);
      } else if (c === "z" || c === "x") {
        this.pos++;
        this.push({ kind: "rest", duration: this.duration() }, at);
      } else if (c === "Z" || c === "X") {
        this.multiBarRest();
      } else if (c === "&") {
        // A second voice within the bar: the melody is what came before it.
        const bar = t.indexOf("|", at);
        this.pos = bar < 0 || bar > end ? end : bar;
        this.repairs.add("left out the overlaid voices (&)");
      } else {
        this.unknownSymbol(c, at);
      }
    }
  }

  /** abcjs passes over symbols it does not know; so do we, naming them. Control characters are not text. */
  private unknownSymbol(c: string, at: number): void {
    if (describeChar(c).startsWith("control"))
      this.fail("unexpected-symbol", `unexpected ${describeChar(c)}`, at);
    const symbol = String.fromCodePoint(this.text.codePointAt(at) ?? 0);
    this.pos = at + symbol.length;
    if (/\s/.test(symbol)) return; // no-break and other spaces
    this.ignore(USER_DECORATION.test(symbol) ? `decoration ${symbol}` : `symbol ${symbol}`);
  }

  /** Whether the accidental at pos is followed by a note letter (not a rest, bar line or space). */
  private accidentalHasNote(): boolean {
    return /^(\^\^|\^|__|_|=)[A-Ga-g]/.test(this.text.slice(this.pos, this.pos + 3));
  }

  /** `!trill!` is a decoration; any other `!` is an ABC 2.0 line break. */
  private bang(end: number): void {
    const decoration = /^![^!\s]{1,40}!/.exec(this.text.slice(this.pos, end));
    this.pos += decoration ? decoration[0].length : 1;
  }

  /** `"D7"` is a chord symbol for the next note or rest; other annotations are text. */
  private annotation(end: number): void {
    const from = this.pos + 1;
    this.skipDelimited('"', '"', end, "annotation");
    const chord = parseChordSymbol(this.text.slice(from, this.pos - 1));
    if (chord) this.pendingChord = chord;
  }

  private skipDelimited(open: string, close: string, end: number, what: string): void {
    const closeAt = this.text.indexOf(close, this.pos + 1);
    if (closeAt < 0 || closeAt >= end)
      this.fail("unterminated", `unterminated ${what} (missing ${close})`, this.pos);
    const inner = this.text.slice(this.pos + 1, closeAt);
    if (open === "{" && inner.includes("{")) this.fail("unterminated", `nested ${open} in ${what}`, this.pos);
    this.pos = closeAt + 1;
  }

  private tupletStart(): void {
    const at = this.pos;
    const m = /^\((\d+)(?::(\d*))?(?::(\d*))?/.exec(this.text.slice(at, at + 16));
    const p = Number(m?.[1]);
    if (!m || p < 2 || p > 9) this.fail("bad-tuplet", `unsupported tuplet "${m?.[0] ?? "("}"`, at);
    if (this.tuplet) this.fail("bad-tuplet", "a tuplet starts inside another tuplet", at);
    const q = m[2] ? Number(m[2]) : defaultTupletQ(p, this.meter !== undefined && isCompound(this.meter));
    const r = m[3] ? Number(m[3]) : p;
    if (q < 1 || q > 9 || r < 1 || r > 9) this.fail("bad-tuplet", `unsupported tuplet "${m[0]}"`, at);
    this.pos += m[0].length;
    this.tuplet = { p, q, left: r };
    this.append({ kind: "tuplet", p, q, r }, at);
  }

  private tie(): void {
    const last = this.elements.at(-1);
    this.pos++;
    if (last?.kind === "note") this.elements[this.elements.length - 1] = { ...last, tie: true };
    else this.ignore("ties (-) not after a note");
  }

  private broken(): void {
    const at = this.pos;
    const c = this.text[at] as string;
    let n = 0;
    while (this.text[this.pos] === c) {
      n++;
      this.pos++;
    }
    const lastIndex = this.elements.length - 1;
    const last = this.elements[lastIndex];
    if (n > 3 || (last?.kind !== "note" && last?.kind !== "rest") || this.brokenNext) {
      this.fail("unexpected-symbol", `broken rhythm "${c.repeat(n)}" must sit between two notes`, at);
    }
    const short = rat(1, 2 ** n);
    const long = rat(2 ** (n + 1) - 1, 2 ** n);
    this.elements[lastIndex] = {
      ...last,
      duration: this.notTooLong(this.onGrid(mul(last.duration, c === ">" ? long : short), at), at),
    };
    this.brokenNext = c === ">" ? short : long;
  }

  /** `[K:..]` inline field, `[1` ending, `[|` bar line, or a chord `[CEG]`. */
  private bracket(end: number): void {
    const at = this.pos;
    const t = this.text;
    const next = t[at + 1] ?? "";
    if (/[A-Za-z]/.test(next) && t[at + 2] === ":") {
      const close = t.indexOf("]", at);
      if (close < 0 || close >= end) this.fail("unterminated", "unterminated inline field (missing ])", at);
      this.field(next, t.slice(at + 3, close), at + 3);
      this.pos = close + 1;
    } else if (/\d/.test(next)) {
      this.pos++;
      this.ending();
    } else if (t.startsWith("[|]", at)) {
      // ABC 2.1's invisible bar line divides beams, not bars.
      this.ignore("invisible bar lines [|]");
      this.pos += 3;
    } else if (next === "|") {
      this.barLine();
    } else {
      const chord = this.chord(end);
      if (chord) this.push(chord, at);
    }
  }

  /**
   * Chords keep their highest note; the melody is what the model learns. Rests in a chord
   * are passed over (a chord of rests is a rest); an empty `[]` is nothing.
   */
  private chord(end: number): NoteElement | RestElement | undefined {
    const at = this.pos;
    this.pos++;
    const chordNotes: NoteElement[] = [];
    let rest: Rational | undefined;
    while (this.pos < end && this.text[this.pos] !== "]") {
      const c = this.text[this.pos] as string;
      if ("^_=".includes(c) && !this.accidentalHasNote()) {
        this.ignore("accidentals without a note");
        this.pos++;
      } else if ("^_=".includes(c) || /[A-Ga-g]/.test(c)) chordNotes.push(this.note());
      else if (c === "z" || c === "x") {
        this.pos++;
        rest ??= this.duration();
        this.ignore("rests in chords");
      } else if (" -.~()".includes(c) || this.decorations.includes(c)) this.pos++;
      else if (c === '"') this.skipDelimited('"', '"', end, "annotation");
      else if (c === "!") this.bang(end);
      else if (c === "|") break;
      else this.unknownSymbol(c, this.pos);
    }
    if (this.text[this.pos] !== "]") this.fail("unterminated", "unterminated chord (missing ])", at);
    this.pos++;
    const scale = div(this.duration(), this.unit);
    const first = chordNotes[0];
    if (!first) {
      if (rest) return { kind: "rest", duration: this.notTooLong(mul(rest, scale), at) };
      this.ignore("empty chords []");
      return undefined;
    }
    const top = chordNotes.reduce((a, b) => (midiOf(b.pitch) > midiOf(a.pitch) ? b : a));
    if (chordNotes.length > 1) this.repairs.add("chords reduced to their top note");
    return { kind: "note", pitch: top.pitch, duration: this.notTooLong(mul(first.duration, scale), at) };
  }

  /** A chord's or a dotted (`>`) note's length multiplies a note's: the product is held to the same limit. */
  private notTooLong(length: Rational, at: number): Rational {
    if (cmp(length, rat(this.options.maxNoteWholes)) > 0)
      this.fail("bad-duration", `a note or chord longer than ${this.options.maxNoteWholes} whole notes`, at);
    return length;
  }

  /** Reads accidentals, letter, octave marks and length; updates bar accidentals. */
  private note(): NoteElement {
    const t = this.text;
    const at = this.pos;
    let explicit: number | undefined;
    const acc = /^(\^\^|\^|__|_|=)/.exec(t.slice(at, at + 2))?.[0];
    if (acc) {
      explicit = { "^^": 2, "^": 1, __: -2, _: -1, "=": 0 }[acc];
      this.pos += acc.length;
    }
    const letter = t[this.pos] ?? "";
    if (!/[A-Ga-g]/.test(letter))
      this.fail("unexpected-symbol", "an accidental must be followed by a note", at);
    this.pos++;
    let octave = letter === letter.toUpperCase() ? 4 : 5;
    while (t[this.pos] === "'" || t[this.pos] === ",") {
      octave += t[this.pos] === "'" ? 1 : -1;
      this.pos++;
    }
    const step: Step = stepOf(letter);
    const slot = `${step}:${octave}`;
    if (explicit !== undefined) this.barAccidentals.set(slot, explicit);
    const alter = this.barAccidentals.get(slot) ?? this.signature[step] ?? 0;
    const pitch = { step, octave, alter };
    // MIDI's range, which our own MIDI reader can produce (C,,,,, is MIDI 0).
    const midi = midiOf(pitch);
    if (midi < 0 || midi > 127) this.fail("unexpected-symbol", "note outside the audible range", at);
    return { kind: "note", pitch, duration: this.duration() };
  }

  /** Length suffix (`2`, `/2`, `3/2`, `/`, `//`) times the unit length. */
  private duration(): Rational {
    const m = /^(\d*)(\/*)(\d*)/.exec(this.text.slice(this.pos, this.pos + 24));
    const [whole = "", num = "", slashes = "", den = ""] = m ?? [];
    const at = this.pos;
    this.pos += whole.length;
    if (whole === "") return this.unit;
    if (num.length > 6 || den.length > 6 || (den !== "" && slashes.length > 1)) {
      this.fail("bad-duration", `unreadable note length "${whole}"`, at);
    }
    const n = num === "" ? 1 : Number(num);
    const d = den !== "" ? Number(den) : 2 ** slashes.length;
    if (n === 0 || d === 0 || slashes.length > 4)
      this.fail("bad-duration", `unreadable note length "${whole}"`, at);
    const length = mul(this.unit, rat(n, d));
    if (cmp(length, rat(this.options.maxNoteWholes)) > 0) {
      this.fail(
        "bad-duration",
        `note length "${whole}" is longer than ${this.options.maxNoteWholes} whole notes`,
        at,
      );
    }
    return length;
  }

  /** Applies pending tuplet and broken-rhythm scaling, then appends. */
  private push(el: NoteElement | RestElement, at: number): void {
    let duration = el.duration;
    if (this.brokenNext) {
      duration = mul(duration, this.brokenNext);
      this.brokenNext = undefined;
    }
    if (this.tuplet) {
      duration = mul(duration, rat(this.tuplet.q, this.tuplet.p));
      if (--this.tuplet.left === 0) this.tuplet = undefined;
    }
    if (el.kind === "note" && ++this.noteCount > this.options.maxNotes) {
      this.fail("too-large", `more than ${this.options.maxNotes} notes`, at);
    }
    const chord = this.pendingChord;
    this.pendingChord = undefined;
    this.append({ ...el, duration: this.onGrid(duration, at), ...(chord ? { chord } : {}) }, at);
  }

  private onGrid(duration: Rational, at: number): Rational {
    if (GRID % duration.d !== 0) {
      this.fail(
        "bad-duration",
        `a note lasting ${formatRational(duration)} of a whole note is too short or too odd a fraction to read`,
        at,
      );
    }
    return duration;
  }

  /** Every element goes through here, so the limits hold however the text is written. */
  private append(el: TuneElement, at: number): void {
    if (this.elements.length >= this.options.maxElements) {
      this.fail("too-large", `more than ${this.options.maxElements} notes, rests and bar lines`, at);
    }
    if (el.kind === "bar" && ++this.barCount > this.options.maxBars) {
      this.fail("too-large", `more than ${this.options.maxBars} bars`, at);
    }
    if (el.kind === "note" || el.kind === "rest") this.sounded = true;
    this.elements.push(el);
    this.offsets.push(at);
  }

  private barLine(): void {
    const at = this.pos;
    const m = /^(\[\|[|:]*|[|:]+\]?)/.exec(this.text.slice(at, at + 12));
    const run = m?.[1] ?? "";
    this.pos += run.length;
    let bar = normaliseBar(run);
    if (!bar) {
      // A stray colon is passed over; other unusual runs read as the nearest bar line.
      if (run === ":") {
        this.ignore("symbol :");
        return;
      }
      bar = nearestBar(run);
      this.ignore(`bar line ${run} (read as ${bar})`);
    }
    // A broken rhythm written across the bar line (`A>|B`) still shortens the next note.
    this.append({ kind: "bar", bar }, at);
    this.barAccidentals = new Map();
    if (/\d/.test(this.text[this.pos] ?? "") && !run.endsWith("]")) this.ending();
  }

  private ending(): void {
    const at = this.pos;
    // Wide enough for the longest list the writer makes, "1,2,3,4,5,6,7,8,9".
    const m = /^\d+(?:[-,]\d+)*/.exec(this.text.slice(at, at + 40));
    const spec = m?.[0] ?? "";
    const numbers = spec.split(",").flatMap((part) => {
      const [a, b] = part.split("-").map(Number);
      if (a === undefined || Number.isNaN(a)) return [];
      const last = b ?? a;
      return last - a > 8 || last < a ? [Number.NaN] : Array.from({ length: last - a + 1 }, (_, i) => a + i);
    });
    if (numbers.length === 0 || numbers.some((n) => Number.isNaN(n) || n < 1 || n > 9)) {
      this.fail("unexpected-symbol", `unreadable ending "${spec}"`, at);
    }
    this.pos += spec.length;
    this.append({ kind: "ending", numbers }, at);
  }

  /** `Z4`: four bars of rest. */
  private multiBarRest(): void {
    const at = this.pos;
    this.pos++;
    const m = /^\d*/.exec(this.text.slice(this.pos, this.pos + 4))?.[0] ?? "";
    this.pos += m.length;
    const count = m === "" ? 1 : Number(m);
    if (count < 1 || count > 64) this.fail("bad-duration", `unsupported multi-bar rest Z${m}`, at);
    const bar = meterLength(this.meter ?? { num: 4, den: 4 });
    // A bar of a huge meter (61/2) is rested in pieces no longer than the longest note.
    const longest = rat(this.options.maxNoteWholes);
    for (let i = 0; i < count; i++) {
      if (i > 0) this.append({ kind: "bar", bar: "|" }, at);
      let left = bar;
      while (cmp(left, longest) > 0) {
        this.append({ kind: "rest", duration: longest }, at);
        left = sub(left, longest);
      }
      this.append({ kind: "rest", duration: left }, at);
    }
  }

  private position(offset: number): SourcePosition {
    let line = 0;
    while (line + 1 < this.lineStarts.length && (this.lineStarts[line + 1] ?? 0) <= offset) line++;
    return { line: this.firstLine + line, column: offset - (this.lineStarts[line] ?? 0) + 1 };
  }

  fail(code: AbcErrorCode, detail: string, offset: number): never {
    throw new AbcParseError(code, detail, this.ref, this.position(offset));
  }
}

function parseTuneText(chunk: Chunk, ref: TuneRef, options: AbcReadOptions): AbcReading {
  const limits = { ...ABC_LIMITS, ...options };
  if (chunk.text.length > limits.maxChars)
    throw new AbcParseError("too-large", `the tune is longer than ${limits.maxChars} characters`, ref);
  const parser = new TuneParser(
    chunk.text,
    ref,
    chunk.line,
    limits,
    chunk.defaults.slice(0, MAX_FILE_HEADER_FIELDS),
  );
  try {
    return parser.parse();
  } catch (error) {
    if (error instanceof RationalOverflowError) parser.fail("bad-duration", error.message, 0);
    throw error;
  }
}

function normaliseBar(run: string): BarType | undefined {
  // Some transcriptions (O'Neill's among them) end a repeated part with |:|.
  if (run === "|:|") return ":|";
  const endsRepeat = run.startsWith(":");
  const startsRepeat = run.endsWith(":");
  // `:]` is a repeat written with a thick closing bar.
  const core = run.replace(/^:+|:+$/g, "").replace(/^\]$/, "|]");
  if (core === "" && run.length < 2) return undefined;
  if (!["", "|", "||", "|]", "[|", "||]"].includes(core) && !/^\|+$/.test(core)) return undefined;
  if (endsRepeat && startsRepeat) return "::";
  if (endsRepeat) return ":|";
  if (startsRepeat) return core === "" ? undefined : "|:";
  if (core === "|") return "|";
  if (core === "|]" || core === "||]") return "|]";
  return core === "" ? undefined : "||";
}

/** The bar line an unusual run of `|`, `:` and `]` stands for: the repeats at its ends decide. */
function nearestBar(run: string): BarType {
  const endsRepeat = run.startsWith(":");
  const startsRepeat = run.endsWith(":");
  if (endsRepeat && startsRepeat) return "::";
  if (endsRepeat) return ":|";
  if (startsRepeat) return "|:";
  return run.includes("]") ? "|]" : "||";
}

function stripComment(s: string): string {
  return s.replace(/(^|[^\\])%.*$/, "$1");
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code < 32 || code === 127 ? `control character U+${code.toString(16).padStart(4, "0")}` : `"${c}"`;
}
