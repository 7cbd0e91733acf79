import { type LoadedModel, saveModelDir } from "../model/model-dir.js";
import { svgToPng } from "../render/png.js";
import type { Store } from "../store/store.js";
import type { ModelVersions } from "../versions/model-versions.js";
import { retrainCurveSvg } from "./curve.js";
import type { GateDecision } from "./gate.js";
import type { SplitScores } from "./run-reports.js";
import type { FineTuned, RetrainCard, RetrainParameters, Scores, TrainingData } from "./run-types.js";

/**
 * A retraining's result on disk: the version directory (LayersModel, vocabulary, card with
 * its parent and old/new scores, metrics.json, loss-curve.png), written whole or not at
 * all by ModelVersions.createVersion, and its row in the store.
 */
export interface VersionFacts {
  readonly runId: number;
  readonly parent: string;
  readonly model: LoadedModel;
  readonly data: TrainingData;
  readonly trained: FineTuned;
  readonly params: RetrainParameters;
  readonly backend: string;
  readonly old: Scores;
  readonly after: Scores;
  readonly decision: GateDecision;
}

/** The version directory (model, vocabulary, card, metrics, loss curve) and its store row; returns its id. */
export async function writeVersion(versions: ModelVersions, store: Store, f: VersionFacts): Promise<string> {
  const id = versions.nextVersionId();
  const { data, trained, params } = f;
  const gate = { ...f.decision, toleranceBits: params.toleranceBits };
  const old = nullable(f.old);
  const after = nullable(f.after);
  const card = versionCard(id, f, {
    runId: f.runId,
    parent: f.parent,
    submissions: data.ids,
    old,
    new: after,
    gate,
    dryRun: params.dryRun,
  });
  const metrics = {
    runId: f.runId,
    parent: f.parent,
    old,
    new: after,
    gate,
    submissions: data.ids,
    mix: {
      repeats: trained.mix.repeats,
      submissionTokens: trained.mix.submissionTokens,
      replayTunes: trained.mix.replayTunes,
      replayTokens: trained.mix.replayTokens,
    },
    parameters: params,
    stopReason: trained.stopReason,
    curve: trained.curve,
  };
  const dir = await versions.createVersion(id, async (staging) => {
    const svg = retrainCurveSvg(
      trained.curve,
      { before: f.old.baseNats, after: f.after.baseNats },
      `${id}: fine-tuned from version ${f.parent}`,
    );
    await saveModelDir(staging, trained.weights, {
      vocabulary: f.model.vocabulary,
      card,
      metrics,
      lossCurve: svgToPng(svg),
    });
  });
  store.recordVersion({
    id,
    parent: f.parent,
    dir,
    card,
    metrics,
    submissions: data.ids.train,
    runId: f.runId,
    status: f.decision.passed ? "candidate" : "rejected",
  });
  return id;
}

export function nullable(s: Scores): SplitScores {
  const n = (x: number) => (Number.isFinite(x) ? x : null);
  return { base: n(s.base), submissions: n(s.submissions) };
}

function versionCard(id: string, f: VersionFacts, extra: RetrainCard["retraining"]): RetrainCard {
  const { config } = f.model.weights;
  const { mix } = f.trained;
  const base = f.data.base.validation;
  const validationTokens = base.reduce((n, t) => n + t.ids.length - 1, 0);
  const mixTokens = mix.submissionTokens + mix.replayTokens;
  return {
    format: "tunesmith-card/1",
    name: id,
    created: new Date().toISOString(),
    architecture: {
      layers: config.layers,
      units: config.units,
      dropout: config.dropout,
      vocabSize: config.vocabSize,
    },
    vocabularyFingerprint: f.model.vocabulary.fingerprint(),
    corpus: {
      description:
        `fine-tuned from version ${f.parent} on ${f.data.ids.train.length} approved submissions (×${mix.repeats}) ` +
        `and ${mix.replayTunes} tunes replayed from ${f.data.corpusDir}`,
      contentHash: f.data.analysisHash,
      trainTunes: mix.tunes.length,
      validationTunes: base.length,
      trainTokens: mixTokens,
      validationTokens,
    },
    training: {
      // Share of one pass over the mix (the run ends before the pass does).
      epochs: Number(
        ((f.params.steps * f.params.batchSize * f.params.seqLen) / Math.max(1, mixTokens)).toFixed(2),
      ),
      steps: f.params.steps,
      seqLen: f.params.seqLen,
      batchSize: f.params.batchSize,
      learningRate: f.params.learningRate,
      seconds: f.trained.seconds,
      backend: f.backend,
      tokensPerSecond: f.trained.tokensPerSecond,
      parent: f.parent,
    },
    results: {
      trainLoss: f.trained.lastMean,
      validationLoss: f.after.baseNats,
      validationBitsPerNote: extra.new.base ?? Number.NaN,
      baselines: f.model.card?.results.baselines ?? {},
    },
    retraining: extra,
  };
}
