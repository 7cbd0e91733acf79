/**
 * How good is a model on tunes it never saw, against two count baselines trained on the
 * spot on the same collection's training split?
 *
 *   npm run evaluate -- --model models/folk-2x256 --corpus ../shared/corpus [--json]
 */
import { parseArgs } from "node:util";
import { config } from "../src/config.js";
import { evaluateModelOnCorpus } from "../src/model/evaluate-corpus.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: config().modelDir },
    corpus: { type: "string", default: "../shared/corpus" },
    json: { type: "boolean", default: false },
  },
});

const report = await evaluateModelOnCorpus(
  values.model as string,
  values.corpus as string,
  config().tfBackend,
);
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Model ${report.model} on ${report.corpus} (${report.backend})`);
  console.log(
    `  tunes: ${report.tunes.validation} evaluated (held out by name), ${report.tunes.train} for the baselines, ` +
      `${report.tunes.unrepresentable} skipped (symbols the model does not know)`,
  );
  console.log(`  ${"".padEnd(22)}${"nats/token".padStart(12)}${"bits/note".padStart(12)}`);
  for (const [name, s] of Object.entries(report.scores)) {
    console.log(
      `  ${name.padEnd(22)}${s.natsPerToken.toFixed(3).padStart(12)}${s.bitsPerNote.toFixed(3).padStart(12)}`,
    );
  }
}
