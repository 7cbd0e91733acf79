/**
 * Writes the rhythm profiles best of N judges candidates by: per tune type and meter, the
 * range each common note length's share of a tune's notes takes among the training split's
 * tunes (the validation split stays unseen, as for the model).
 *
 *   npm run rhythm-profiles -- [--corpus ../shared/corpus] [--out models/rhythm-profiles.json]
 */
import { writeFileSync } from "node:fs";
import { RHYTHM_PROFILES_FORMAT } from "../src/compose/rhythm-profiles.js";
import { trainingTunes } from "../src/model/data.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";
import { rhythmProfiles } from "../src/music/rhythm-profile.js";
import { parseCommandLine } from "./command-line.js";

const { values } = parseCommandLine(import.meta.url, {
  options: {
    corpus: { type: "string", default: "../shared/corpus" },
    out: { type: "string", default: "models/rhythm-profiles.json" },
  },
});
const analysis = analyseCorpus(readCorpusSources(values.corpus as string));
const training = trainingTunes(analysis.usable.map((t) => t.tune));
const profiles = rhythmProfiles(training);
const json = {
  format: RHYTHM_PROFILES_FORMAT,
  source: `${values.corpus}: ${training.length} training tunes (corpus ${analysis.contentHash})`,
  profiles,
};
writeFileSync(values.out as string, `${JSON.stringify(json)}\n`);
console.log(`${profiles.length} rhythm profiles from ${training.length} tunes → ${values.out}`);
