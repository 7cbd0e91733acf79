/**
 * Learns the harmoniser's tables from chord-annotated ABC tunes:
 *
 *   npm run train-chords -- [--data ../shared/nottingham] [--out models/harmony/nottingham.json] [--split train|all]
 *
 * `--split train` leaves out the held-out fifth (for measuring with
 * `npm run evaluate -- --chords … --split held-out`); the shipped tables use all tunes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { readAnnotatedTunes } from "../src/music/harmony/annotated-tunes.js";
import { DEFAULT_HARMONY_TABLES } from "../src/music/harmony/load.js";
import { trainHarmony } from "../src/music/harmony/train.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    data: { type: "string", default: "../shared/nottingham" },
    out: { type: "string", default: DEFAULT_HARMONY_TABLES },
    split: { type: "string", default: "all" },
  },
});
if (values.split !== "all" && values.split !== "train") {
  console.error("train-chords: --split must be all or train");
  process.exit(2);
}
const collection = readAnnotatedTunes(values.data as string);
const tunes = collection.tunes.filter((t) => values.split === "all" || !t.heldOut).map((t) => t.tune);
const tables = trainHarmony(tunes, {
  provenance:
    "Counted from chord-annotated tunes of the Nottingham Music Database (Eric Foxley; ABC by James Allwright; " +
    "cleaned by Jukedeck, github.com/jukedeck/nottingham-dataset, GPL-3.0): " +
    `${tunes.length} tunes of ${values.data} (split: ${values.split}). Only counts are stored, no tune.`,
});
const out = values.out as string;
await mkdir(path.dirname(out), { recursive: true });
// Four significant digits are plenty for log probabilities and keep the file small.
const json = JSON.stringify(tables, (_, v) => (typeof v === "number" ? Number(v.toPrecision(4)) : v));
await writeFile(out, `${json}\n`);
console.log(
  `${tunes.length} tunes (${collection.skipped} skipped: unreadable or without chords), ${tables.trained.segments} half bars, ` +
    `${tables.states.length} chords → ${out} (${Math.round(json.length / 1024)} kB)`,
);
