import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAbcFile } from "./abc-read.js";
import { type BarProblem, checkBars } from "./bar-check.js";
import { inferTuneType } from "./collection-types.js";
import type { TuneRef } from "./music-errors.js";
import { tokensToTune, tuneToTokens } from "./tokens.js";
import { hasMeterChanges, meterName, type Tune, withoutChords } from "./tune.js";
import { Vocabulary } from "./vocabulary.js";

/**
 * A tune collection as the model sees it: every ABC file under a path, parsed,
 * deduplicated, tokenized and checked. `analyseCorpus` is pure; `readCorpusSources`
 * does the file reading.
 */

export interface CorpusSource {
  /** Path relative to the corpus root. */
  readonly file: string;
  readonly text: string;
}

export interface CorpusTune {
  readonly file: string;
  readonly ref: TuneRef;
  readonly tune: Tune;
  readonly tokens: readonly string[];
  /** Content hash of the token sequence: the tune's identity. */
  readonly id: string;
  readonly bars: { readonly ok: boolean; readonly problems: readonly BarProblem[] };
}

export interface Rejection {
  readonly file: string;
  readonly ref: TuneRef;
  readonly code: string;
  readonly message: string;
}

/** One unique tune (after removing identical texts), whether the reader read it. */
export interface CorpusEntry {
  readonly file: string;
  readonly ref: TuneRef;
  /** The tune's ABC text, as found in the file. */
  readonly source: string;
  readonly read: boolean;
}

export interface CorpusAnalysis {
  readonly files: number;
  /** Tunes found, duplicates included. */
  readonly tunes: number;
  /** Tunes left after removing duplicates (same text, or same music spelled differently). */
  readonly unique: number;
  readonly rejected: readonly Rejection[];
  /** Parsed tunes whose tokens did not give the same tune back. */
  readonly roundTripFailures: readonly Rejection[];
  /** Parsed, exactly round-tripping tunes with distinct music (token sequence). */
  readonly parsed: readonly CorpusTune[];
  /** Of those, the ones whose every bar fits the meter: the training material. */
  readonly usable: readonly CorpusTune[];
  /**
   * Tunes read that change meter mid-tune: the model's tokens have no meter change, so
   * they are not training material (a seed like them is continued in its last meter).
   */
  readonly meterChanges: readonly Rejection[];
  /** Each kind of thing the reader passed over, with the number of tunes it was in. */
  readonly ignored: ReadonlyMap<string, number>;
  /** Every unique text, read or not (for checks against other parsers). */
  readonly entries: readonly CorpusEntry[];
  /** Corpus fingerprint: hash of every source file's bytes, in path order. */
  readonly contentHash: string;
}

export function readCorpusSources(root: string): CorpusSource[] {
  const stat = statSync(root);
  if (stat.isFile()) return [{ file: path.basename(root), text: readFileSync(root, "utf8") }];
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.toLowerCase().endsWith(".abc"))
    .sort();
  if (files.length === 0) throw new Error(`no .abc files under ${root}`);
  return files.map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));
}

export function analyseCorpus(sources: readonly CorpusSource[]): CorpusAnalysis {
  const bodies = new Set<string>();
  const musicIds = new Set<string>();
  const rejected: Rejection[] = [];
  const roundTripFailures: Rejection[] = [];
  const parsed: CorpusTune[] = [];
  const meterChanges: Rejection[] = [];
  const ignored = new Map<string, number>();
  const entries: CorpusEntry[] = [];
  let tunes = 0;
  const hash = createHash("sha256");
  for (const { file, text } of sources) {
    hash.update(file).update("\0").update(text).update("\0");
    for (const entry of parseAbcFile(text)) {
      tunes++;
      const body = normalisedBody(entry.source);
      if (bodies.has(body)) continue;
      bodies.add(body);
      entries.push({ file, ref: entry.ref, source: entry.source, read: entry.result.ok });
      if (!entry.result.ok) {
        const { code, message } = entry.result.error;
        rejected.push({ file, ref: entry.ref, code, message });
        continue;
      }
      for (const kind of entry.result.ignored) ignored.set(kind, (ignored.get(kind) ?? 0) + 1);
      const parsedTune = entry.result.tune;
      const rhythm = inferTuneType(parsedTune, file, entry.source, entry.ref.x);
      const tune = rhythm ? { ...parsedTune, rhythm } : parsedTune;
      if (hasMeterChanges(tune)) {
        const meters = [tune.meter, ...tune.elements.flatMap((e) => (e.kind === "meter" ? [e.meter] : []))];
        meterChanges.push({
          file,
          ref: entry.ref,
          code: "meter-change",
          message: `changes meter (${meters.map(meterName).join(" → ")})`,
        });
        continue;
      }
      const tokens = tuneToTokens(tune);
      const id = tokenHash(tokens);
      if (musicIds.has(id)) continue;
      musicIds.add(id);
      if (!roundTrips(tune, tokens)) {
        roundTripFailures.push({
          file,
          ref: entry.ref,
          code: "round-trip",
          message: "tokens did not give the tune back",
        });
        continue;
      }
      parsed.push({ file, ref: entry.ref, tune, tokens, id, bars: checkBars(tune) });
    }
  }
  return {
    files: sources.length,
    tunes,
    unique: rejected.length + roundTripFailures.length + parsed.length + meterChanges.length,
    rejected,
    roundTripFailures,
    parsed,
    usable: parsed.filter((t) => t.bars.ok),
    meterChanges,
    ignored,
    entries,
    contentHash: hash.digest("hex").slice(0, 16),
  };
}

/** Same music, whatever the spelling of the header: compare the notes only. */
function normalisedBody(source: string): string {
  return source
    .split("\n")
    .filter((l) => !/^[A-JN-Za-z]:/.test(l) && !l.startsWith("%"))
    .join("")
    .replace(/%.*$/gm, "")
    .replace(/[\s!\\]/g, "");
}

export function tokenHash(tokens: readonly string[]): string {
  return createHash("sha256").update(tokens.join(" ")).digest("hex").slice(0, 16);
}

/** Musical content survives tokens → tune (title, L:, tempo and chord symbols are not in tokens). */
export function roundTrips(tune: Tune, tokens: readonly string[]): boolean {
  const back = tokensToTune(tokens, { tonic: tune.key.tonic });
  return (
    isDeepStrictEqual(back.elements, withoutChords(tune).elements) &&
    isDeepStrictEqual(back.meter, tune.meter) &&
    isDeepStrictEqual(back.key, tune.key)
  );
}

/** The vocabulary a model trained on this corpus uses: every token of the usable tunes. */
export function trainingVocabulary(analysis: CorpusAnalysis): Vocabulary {
  return Vocabulary.build(analysis.usable.map((t) => t.tokens));
}
