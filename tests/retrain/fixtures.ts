/**
 * A miniature world for retraining tests, built in a temporary directory: a base corpus of
 * generated reels (ABC files), a tiny randomly initialised model (1 × 16) as version 0 with
 * the fixtures' vocabulary, and a data directory whose store holds approved jigs that
 * are near-copies of one another (so learning some makes the held-out ones likelier).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelCard } from "../../src/model/card.js";
import { isValidationName } from "../../src/model/data.js";
import { saveLayersModel } from "../../src/model/layers-model.js";
import { disposeWeights, initWeights } from "../../src/model/lstm-weights.js";
import { Rng } from "../../src/model/rng.js";
import { parseAbc } from "../../src/music/abc-read.js";
import { tokenHash } from "../../src/music/corpus.js";
import { tuneToTokens } from "../../src/music/tokens.js";
import { Vocabulary } from "../../src/music/vocabulary.js";
import type { Store } from "../../src/store/store.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const REEL_BARS = [
  "dfaf gfed",
  "A2FA DAFA",
  "B2GB dBGB",
  "c2ec Acec",
  "d2fd adfd",
  "efge fdec",
  "dcBA GFED",
  "D2FA d4",
];
const JIG_BARS = ["dfa afd", "B2c d2e", "fed e2d", "cBA A2G", "FAd fdA", "GBd gdB", "A3 A2G", "FED D3"];

function tune(x: number, title: string, meter: string, bars: readonly string[]): string {
  return `X:${x}\nT:${title}\nM:${meter}\nL:1/8\nK:D\n${bars.join(" | ")} |]\n`;
}

/** Reels of eight bars drawn from a few patterns; at least two titles land in the validation split. */
export function baseCorpus(count: number, seed = 3): string[] {
  const rng = new Rng(seed);
  const titles: string[] = [];
  let validation = 0;
  for (let i = 0; titles.length < count; i++) {
    const title = `Fixture Reel ${i}`;
    const held = isValidationName(title);
    if (held && validation >= 2) continue;
    if (!held && titles.length - validation >= count - 2) continue;
    if (held) validation++;
    titles.push(title);
  }
  return titles.map((title, i) =>
    tune(
      i + 1,
      title,
      "4/4",
      Array.from({ length: 8 }, (_, b) =>
        b === 7 ? "D2FA d4" : (REEL_BARS[Math.floor(rng.next() * REEL_BARS.length)] as string),
      ),
    ),
  );
}

/** Jigs that share six of their eight bars: near-copies, distinct for `from + count` ≤ 64. */
export function submissionTunes(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const bars = [...JIG_BARS];
    bars[5] = JIG_BARS[i % 8] as string;
    bars[6] = JIG_BARS[Math.floor(i / 8) % 8] as string;
    return tune(i + 1, `Submitted Jig ${i + 1}`, "6/8", bars);
  });
}

export const tokensOf = (abc: string): string[] => tuneToTokens(parseAbc(abc));

export interface Fixture {
  readonly root: string;
  readonly dataDir: string;
  readonly modelDir: string;
  readonly corpusDir: string;
  readonly vocabulary: Vocabulary;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export async function makeFixture(): Promise<Fixture> {
  const root = mkdtempSync(path.join(tmpdir(), "tunesmith-retrain-"));
  const corpusDir = path.join(root, "corpus");
  const modelDir = path.join(root, "model-0");
  const dataDir = path.join(root, "data");
  mkdirSync(corpusDir);
  const corpus = baseCorpus(14);
  writeFileSync(path.join(corpusDir, "reels.abc"), corpus.join("\n"));
  const vocabulary = Vocabulary.build([...corpus, ...submissionTunes(64)].map(tokensOf));
  const config = { vocabSize: vocabulary.size, layers: 1, units: 16, dropout: 0 };
  const weights = initWeights(config, 5);
  const card: ModelCard = {
    format: "tunesmith-card/1",
    name: "tiny",
    created: new Date(0).toISOString(),
    architecture: config,
    vocabularyFingerprint: vocabulary.fingerprint(),
    corpus: {
      description: "random weights for tests",
      contentHash: "-",
      trainTunes: 0,
      validationTunes: 0,
      trainTokens: 0,
      validationTokens: 0,
    },
    training: {
      epochs: 0,
      steps: 0,
      seqLen: 0,
      batchSize: 0,
      learningRate: 0,
      seconds: 0,
      backend: "none",
      tokensPerSecond: 0,
    },
    results: {
      trainLoss: Number.NaN,
      validationLoss: Number.NaN,
      validationBitsPerNote: Number.NaN,
      baselines: {},
    },
  };
  try {
    await saveLayersModel(weights, modelDir, { vocabulary, metadata: { card } });
  } finally {
    disposeWeights(weights);
  }
  writeFileSync(path.join(modelDir, "card.json"), JSON.stringify(card));
  return {
    root,
    dataDir,
    modelDir,
    corpusDir,
    vocabulary,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      MODEL_DIR: modelDir,
      CORPUS_DIR: corpusDir,
      TF_BACKEND: "cpu",
      LOG_LEVEL: "silent",
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Adds submission jigs `from`… and approves them; returns their ids. */
export function approveSubmissions(store: Store, count: number, from = 0): number[] {
  return submissionTunes(count, from).map((abc, k) => {
    const tokens = tokensOf(abc);
    const added = store.addSubmission({
      guildId: "400000000000000001",
      userId: `30000000000000000${k % 10}`,
      title: `Submitted Jig ${from + k + 1}`,
      fileName: "jig.abc",
      original: new TextEncoder().encode(abc),
      contentHash: tokenHash(tokens),
      tokens,
    });
    if (!added.added) throw new Error("fixture submissions must be distinct");
    const reviewed = store.reviewSubmission(added.submission.id, "approved", "500000000000000001");
    if (!reviewed.ok) throw new Error(reviewed.reason);
    return added.submission.id;
  });
}
