import { loadComposer } from "../src/compose/composer.js";
import { validateRequest } from "../src/compose/request.js";
import { STYLES, STYLE_NAMES, type Style } from "../src/compose/styles.js";
import { crossValidate, randomForest, logisticRegression } from "../src/model/classifiers.js";
import { isValidationName } from "../src/model/data.js";
import { Rng } from "../src/model/rng.js";
import { analyseCorpus, readCorpusSources } from "../src/music/corpus.js";
import { STRUCTURE_FEATURES, structureFeatures } from "../src/music/descriptors.js";
import { abcKeyName } from "../src/music/key.js";
const composer = await loadComposer("models/folk-styles-2x256", "wasm");
const a = analyseCorpus(readCorpusSources("../shared/corpus"));
const styled = STYLE_NAMES.filter((s) => (STYLES[s] as Style).rhythm);
const real = a.usable.map((t) => t.tune).filter((t) => isValidationName(t.title) && styled.some((s) => (STYLES[s] as Style).rhythm === t.rhythm));
const rng = new Rng(5);
const comp = [];
for (let i = 0; i < 150; i++) {
  const m = real[i % real.length]!;
  const style = styled.find((s) => (STYLES[s] as Style).rhythm === m.rhythm)!;
  const r = await composer.compose(validateRequest({ style, ...(["major","minor","dorian","mixolydian"].includes(m.key.mode) ? { key: abcKeyName(m.key) } : {}), seedValue: rng.uint32() }), { audio: false, score: false });
  comp.push(r.tune);
}
const n = Math.min(real.length, comp.length);
const xs = [...real.slice(0, n), ...comp.slice(0, n)].map(structureFeatures);
const ys = [...new Array(n).fill(0), ...new Array(n).fill(1)];
console.log("all", crossValidate(randomForest, xs, ys, 2).toFixed(3), crossValidate(logisticRegression, xs, ys, 2).toFixed(3));
STRUCTURE_FEATURES.forEach((f, j) => {
  const x2 = xs.map((x) => x.filter((_, k) => k !== j));
  const only = xs.map((x) => [x[j]!]);
  const mean = (rows: number[][]) => (rows.reduce((s, r) => s + r[j]!, 0) / rows.length).toFixed(3);
  console.log(f.padEnd(40), "without", crossValidate(randomForest, x2, ys, 2).toFixed(3), "alone", crossValidate(randomForest, only, ys, 2).toFixed(3), "real", mean(xs.slice(0, n)), "composed", mean(xs.slice(n)));
});
composer.dispose();
