/**
 * Writes the form templates composition borrows its returns from: the forms of the
 * training split's tunes (the validation split stays unseen, as for the model).
 *
 *   npm run form-templates -- [--corpus ../shared/corpus] [--out models/form-templates.json]
 */
import { writeFileSync } from "node:fs";
import { FORM_TEMPLATES_FORMAT } from "../src/compose/form-plan.js";
import { trainingTunes } from "../src/model/data.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";
import { formTemplates } from "../src/music/form.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    corpus: { type: "string", default: "../shared/corpus" },
    out: { type: "string", default: "models/form-templates.json" },
  },
});
const analysis = analyseCorpus(readCorpusSources(values.corpus as string));
const training = trainingTunes(analysis.usable.map((t) => t.tune));
const templates = formTemplates(training);
const json = {
  format: FORM_TEMPLATES_FORMAT,
  source: `${values.corpus}: ${training.length} training tunes (corpus ${analysis.contentHash}), ${templates.length} with parts of equal length`,
  templates,
};
writeFileSync(values.out as string, `${JSON.stringify(json)}\n`);
console.log(`${templates.length} form templates from ${training.length} tunes → ${values.out}`);
