/**
 * Writes the rhythm profiles composition leans note lengths towards: how long notes are,
 * where in the bar and after what, per meter and per tune type, counted from the training
 * split's tunes (the validation split stays unseen, as for the model).
 *
 *   npm run rhythm-profiles -- [--corpus ../shared/corpus] [--out models/rhythm-profiles.json]
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RHYTHM_PROFILES_FORMAT } from "../src/compose/rhythm-profiles.js";
import { isValidationName } from "../src/model/data.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";
import { rhythmProfiles } from "../src/music/rhythm-profile.js";

const { values } = parseArgs({
  options: {
    corpus: { type: "string", default: "../shared/corpus" },
    out: { type: "string", default: "models/rhythm-profiles.json" },
  },
});
const analysis = analyseCorpus(readCorpusSources(values.corpus as string));
const training = analysis.usable.filter((t) => !isValidationName(t.tune.title)).map((t) => t.tune);
const profiles = rhythmProfiles(training);
const json = {
  format: RHYTHM_PROFILES_FORMAT,
  source: `${values.corpus}: ${training.length} training tunes (corpus ${analysis.contentHash})`,
  profiles,
};
writeFileSync(values.out as string, `${JSON.stringify(json)}\n`);
console.log(`${profiles.length} rhythm profiles from ${training.length} tunes → ${values.out}`);
