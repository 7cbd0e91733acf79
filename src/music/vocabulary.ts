import { createHash } from "node:crypto";
import { MusicError } from "./music-errors.js";
import { midiOf } from "./pitch.js";
import { toNumber } from "./rational.js";
import { parseLengthToken, parsePitchToken } from "./tokens.js";

/**
 * The token ↔ id table a model was trained with. It is data (vocab.json next to the
 * model), never recomputed at run time, so a model and its tokenizer travel together.
 */
export const VOCAB_FORMAT = "tunesmith-vocab/1";
export const PAD = "<pad>";
const SPECIALS = [PAD, "<s>", "</s>"];

export class VocabularyError extends MusicError {}

export class Vocabulary {
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(readonly tokens: readonly string[]) {
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    if (this.ids.size !== tokens.length)
      throw new VocabularyError("bad-vocab", "vocabulary has duplicate tokens");
  }

  /** Builds a vocabulary from token sequences, in a stable, readable order. */
  static build(sequences: Iterable<readonly string[]>): Vocabulary {
    const seen = new Set<string>();
    for (const seq of sequences) for (const t of seq) if (!SPECIALS.includes(t)) seen.add(t);
    return new Vocabulary([...SPECIALS, ...[...seen].sort(compareTokens)]);
  }

  static fromJSON(json: unknown): Vocabulary {
    const data = json as { format?: unknown; tokens?: unknown };
    if (
      data?.format !== VOCAB_FORMAT ||
      !Array.isArray(data.tokens) ||
      data.tokens.some((t) => typeof t !== "string")
    ) {
      throw new VocabularyError("bad-vocab", `not a ${VOCAB_FORMAT} vocabulary file`);
    }
    return new Vocabulary(data.tokens as string[]);
  }

  toJSON(): { format: string; tokens: readonly string[] } {
    return { format: VOCAB_FORMAT, tokens: this.tokens };
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Short content hash, recorded in the model card to detect mismatched pairs. */
  fingerprint(): string {
    return createHash("sha256").update(this.tokens.join("\n")).digest("hex").slice(0, 16);
  }

  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  unknown(tokens: readonly string[]): string[] {
    return [...new Set(tokens.filter((t) => !this.ids.has(t)))];
  }

  encode(tokens: readonly string[]): number[] {
    const missing = this.unknown(tokens);
    if (missing.length > 0) {
      throw new VocabularyError(
        "unknown-tokens",
        `the model does not know ${missing.length === 1 ? "the symbol" : "these symbols"} ${missing.slice(0, 8).join(" ")}`,
      );
    }
    return tokens.map((t) => this.ids.get(t) as number);
  }

  decode(ids: readonly number[]): string[] {
    return ids.map((i) => {
      const t = this.tokens[i];
      if (t === undefined) throw new VocabularyError("bad-id", `token id ${i} is outside the vocabulary`);
      return t;
    });
  }
}

/** Groups: meters, modes, bar lines and endings, tuplets, pitches (low to high), lengths (short to long). */
function compareTokens(a: string, b: string): number {
  const rank = (t: string): [number, number, string] => {
    if (t.startsWith("M:")) return [0, 0, t];
    if (t.startsWith("K:")) return [1, 0, t];
    if (/^[|:[]/.test(t)) return [2, 0, t];
    if (t.startsWith("(")) return [3, 0, t];
    const pitch = parsePitchToken(t);
    if (pitch) return [4, midiOf(pitch), t];
    const length = parseLengthToken(t);
    if (length) return [5, toNumber(length), t];
    return [6, 0, t];
  };
  const [ga, va, ta] = rank(a);
  const [gb, vb, tb] = rank(b);
  return ga - gb || va - vb || (ta < tb ? -1 : ta > tb ? 1 : 0);
}
