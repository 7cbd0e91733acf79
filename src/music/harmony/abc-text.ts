import { isDeepStrictEqual } from "node:util";
import { parseAbcFile } from "../abc-read.js";
import { formatChordSymbol, parseChordSymbol } from "../chord.js";
import { MusicError } from "../music-errors.js";
import { type Tune, withoutChords } from "../tune.js";
import { harmonise } from "./harmonise.js";
import type { HarmonyTables } from "./tables.js";

/**
 * Harmonises every tune of an ABC file in place: the text stays as written (fields,
 * comments, decorations, line breaks), chord symbols it had are removed and the
 * harmoniser's are written before their notes. Tunes the reader refuses are kept as they
 * were and reported.
 */
export interface HarmonisedFile {
  readonly abc: string;
  readonly tunes: readonly HarmonisedTuneText[];
}

export type HarmonisedTuneText =
  | { readonly ok: true; readonly title: string; readonly tune: Tune; readonly abc: string }
  | { readonly ok: false; readonly title: string; readonly error: string };

export function harmoniseAbcText(text: string, tables: HarmonyTables): HarmonisedFile {
  const parsed = parseAbcFile(text);
  const lines = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  const tunes: HarmonisedTuneText[] = [];
  // Text before the first tune (a file header) is kept as it is.
  const firstLine = parsed[0]?.line ?? lines.length + 1;
  const pieces = [lines.slice(0, firstLine - 1).join("\n")];
  for (const p of parsed) {
    const title = p.ref.title ?? `tune ${p.ref.index + 1}`;
    if (!p.result.ok) {
      tunes.push({ ok: false, title, error: p.result.error.message });
      pieces.push(p.source);
      continue;
    }
    const tune = harmonise(p.result.tune, tables);
    const abc = rewriteChords(p.source, p.result.offsets, tune);
    checkSameNotes(abc, p.result.tune, tune, title);
    tunes.push({ ok: true, title, tune, abc });
    pieces.push(abc);
  }
  const abc = pieces.filter((piece, i) => i > 0 || piece !== "").join("\n");
  return { abc: abc.endsWith("\n") ? abc : `${abc}\n`, tunes };
}

/** The tune's text with its chord symbols replaced by the tune's. */
export function rewriteChords(source: string, offsets: readonly number[], tune: Tune): string {
  const edits: { from: number; to: number; insert: string }[] = [];
  // Old chord symbols (and alternatives in parentheses), in music lines only.
  let lineStart = 0;
  for (const line of source.split("\n")) {
    const music = !/^([A-Za-z+]:|%)/.test(line) ? line.replace(/%.*$/, "") : "";
    for (const m of music.matchAll(/"([^"]*)"/g)) {
      const inner = (m[1] ?? "").trim().replace(/^\((.*)\)$/, "$1");
      if (parseChordSymbol(inner))
        edits.push({
          from: lineStart + (m.index ?? 0),
          to: lineStart + (m.index ?? 0) + m[0].length,
          insert: "",
        });
    }
    lineStart += line.length + 1;
  }
  tune.elements.forEach((e, i) => {
    if ((e.kind !== "note" && e.kind !== "rest") || !e.chord) return;
    const at = offsets[i];
    if (at === undefined) return;
    edits.push({ from: beforeDecorations(source, at), to: -1, insert: `"${formatChordSymbol(e.chord)}"` });
  });
  // From the end, so earlier offsets stay valid; at one place the removal comes first.
  edits.sort((a, b) => b.from - a.from || b.to - a.to);
  let out = source;
  for (const edit of edits) {
    const to = edit.to < 0 ? edit.from : edit.to;
    out = out.slice(0, edit.from) + edit.insert + out.slice(to);
  }
  return out;
}

/** A chord symbol goes before a note's decorations and grace notes (`"G"~A`, `"D"{g}A`). */
function beforeDecorations(source: string, at: number): number {
  let i = at;
  for (;;) {
    const c = source[i - 1];
    if (c === undefined) return i;
    if (c === "~" || c === ".") i--;
    else if ("HLMOPSTuv".includes(c) && !/[A-Za-z0-9]/.test(source[i - 2] ?? " ")) i--;
    else if (c === "!" || c === "+") {
      const open = source.lastIndexOf(c, i - 2);
      if (open < 0 || source.slice(open, i).includes("\n")) return i;
      i = open;
    } else if (c === "}") {
      const open = source.lastIndexOf("{", i - 1);
      if (open < 0) return i;
      i = open;
    } else if (c === '"') {
      // An annotation (text, not an old chord, which is removed) right before: the chord goes before it too.
      const open = source.lastIndexOf('"', i - 2);
      if (open < 0 || source.slice(open, i).includes("\n") || parseChordSymbol(source.slice(open + 1, i - 1)))
        return i;
      i = open;
    } else return i;
  }
}

function checkSameNotes(abc: string, before: Tune, after: Tune, title: string): void {
  const reread = parseAbcFile(abc)[0]?.result;
  if (
    !reread?.ok ||
    !isDeepStrictEqual(withoutChords(reread.tune).elements, withoutChords(before).elements) ||
    !isDeepStrictEqual(reread.tune.elements, after.elements)
  ) {
    throw new MusicError("harmonise-failed", `could not write chords into "${title}" without changing it`);
  }
}
