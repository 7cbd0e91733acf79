/**
 * Gives every tune of an ABC file chords, keeping the text as written:
 *
 *   npm run harmonize -- <in.abc> [--out out.abc] [--json] [--tables models/harmony/nottingham.json]
 *
 * Chord symbols the file had are replaced. Without --out the ABC goes to stdout.
 */
import { readFile, writeFile } from "node:fs/promises";
import { harmoniseAbcText } from "../src/music/harmony/abc-text.js";
import { chordChart } from "../src/music/harmony/chart.js";
import { DEFAULT_HARMONY_TABLES, loadHarmonyTables } from "../src/music/harmony/load.js";
import { parseCommandLine } from "./command-line.js";

const { values, positionals } = parseCommandLine(import.meta.url, {
  allowPositionals: true,
  options: {
    out: { type: "string" },
    json: { type: "boolean", default: false },
    tables: { type: "string", default: DEFAULT_HARMONY_TABLES },
  },
});
const input = positionals[0];
if (!input || positionals.length > 1) {
  console.error("usage: npm run harmonize -- <in.abc> [--out out.abc] [--json]");
  process.exit(2);
}
let text: string;
try {
  text = await readFile(input, "utf8");
} catch (e) {
  console.error(`harmonize: cannot read ${input}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
const result = harmoniseAbcText(text, loadHarmonyTables(values.tables as string));
if (values.out) await writeFile(values.out, result.abc);
const failed = result.tunes.filter((t) => !t.ok);
if (values.json) {
  const tunes = result.tunes.map((t) =>
    t.ok
      ? { title: t.title, ok: true, chords: chordChart(t.tune) }
      : { title: t.title, ok: false, error: t.error },
  );
  console.log(
    JSON.stringify({ ...(values.out ? { out: values.out } : { abc: result.abc }), tunes }, null, 2),
  );
} else {
  if (!values.out) process.stdout.write(result.abc);
  for (const t of failed) console.error(`harmonize: left "${t.title}" as it was: ${t.ok ? "" : t.error}`);
  if (values.out)
    console.error(
      `${result.tunes.length - failed.length} of ${result.tunes.length} tunes harmonised → ${values.out}`,
    );
}
process.exit(failed.length > 0 && failed.length === result.tunes.length ? 1 : 0);
