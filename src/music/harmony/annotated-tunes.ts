import { createHash } from "node:crypto";
import { parseAbcFile } from "../abc-read.js";
import { readCorpusSources } from "../corpus.js";
import { hasChords, type Tune } from "../tune.js";

/**
 * Chord-annotated tunes to learn harmony from or check it against (the Nottingham Music
 * Database in `../shared/nottingham`), split into a training and a held-out part by a hash
 * of each tune's text, so a tune always lands on the same side.
 */
export interface AnnotatedTune {
  readonly file: string;
  readonly title: string;
  readonly tune: Tune;
  readonly heldOut: boolean;
}

export interface AnnotatedCollection {
  readonly tunes: readonly AnnotatedTune[];
  /** Tunes the reader refused (meter changes mid-tune, …) or that carry no chords. */
  readonly skipped: number;
}

/** About one tune in five is held out. */
export const HELD_OUT_SHARE = 0.2;

export function readAnnotatedTunes(root: string): AnnotatedCollection {
  const tunes: AnnotatedTune[] = [];
  let skipped = 0;
  for (const source of readCorpusSources(root)) {
    // `Y:` (the order of the parts) is a Nottingham header the reader does not know.
    const text = source.text.replace(/^Y:.*$/gm, "%");
    for (const parsed of parseAbcFile(text)) {
      if (!parsed.result.ok || !hasChords(parsed.result.tune)) {
        skipped++;
        continue;
      }
      const hash = createHash("sha256").update(`chords:${parsed.source}`).digest().readUInt32BE(0) / 2 ** 32;
      tunes.push({
        file: source.file,
        title: parsed.result.tune.title,
        tune: parsed.result.tune,
        heldOut: hash < HELD_OUT_SHARE,
      });
    }
  }
  return { tunes, skipped };
}
