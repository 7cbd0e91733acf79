import type { TfBackend } from "../config.js";
import { type BackendChoice, initBackend } from "../model/backend.js";
import { loadModelDir } from "../model/model-dir.js";
import { createStepper } from "../model/sampler-step.js";
import { harmonise } from "../music/harmony/harmonise.js";
import { loadHarmonyTables } from "../music/harmony/load.js";
import type { Tune } from "../music/tune.js";
import { withoutChords } from "../music/tune.js";
import { prepareAudioPreview } from "../render/audio.js";
import { allPrograms } from "../render/instruments.js";
import { FormTemplates } from "./form-plan.js";
import { type CandidateReport, type ComposerModel, type GenerateOptions, generateTune } from "./generate.js";
import { type Renderings, renderTune, stopwatch } from "./renderings.js";
import type { ComposeRequest } from "./request.js";
import { RhythmProfiles } from "./rhythm-profiles.js";
import { buildTokenTable } from "./token-table.js";

/**
 * The composition service in one process: the model loaded once, then request → tune
 * → renderings. The worker pool runs one of these per worker thread; the command line
 * uses one directly.
 */
export interface Composer {
  readonly model: ModelInfo;
  compose(request: ComposeRequest, options?: ComposeOptions): Promise<ComposeResult>;
  dispose(): void;
}

export interface ModelInfo {
  readonly name: string;
  /** The model version's id (see src/versions/version-ids.ts), or the training date without one. */
  readonly version: string;
  readonly backend: string;
}

export interface LoadComposerOptions {
  /** The version id to report; the card's training date when not given. */
  readonly version?: string;
  readonly log?: (line: string) => void;
}

export interface ComposeOptions extends GenerateOptions {
  readonly audio?: boolean;
  readonly score?: boolean;
}

export interface ComposeResult {
  readonly request: ComposeRequest;
  readonly tune: Tune;
  readonly generatedFrom: number;
  readonly renderings: Renderings;
  readonly candidates: readonly CandidateReport[];
  readonly chosen: number;
  /** Things to tell the user (seed trimmed, tune closed early…). */
  readonly notes: readonly string[];
  readonly model: ModelInfo;
  readonly timings: {
    readonly generateMs: number;
    readonly midiMs: number;
    readonly audioMs: number;
    readonly scoreMs: number;
    readonly totalMs: number;
  };
}

export async function loadComposer(
  modelDir: string,
  backendPreference: TfBackend,
  options: LoadComposerOptions = {},
): Promise<Composer> {
  const backend: BackendChoice = await initBackend(backendPreference, options.log);
  const loaded = await loadModelDir(modelDir);
  const stepper = createStepper(loaded.weights);
  // Load the SoundFont, decode every instrument's samples and warm the encoder now, not
  // during the first user's request.
  await prepareAudioPreview(allPrograms());
  const info: ModelInfo = {
    name: loaded.card?.name ?? modelDir,
    version: options.version ?? loaded.card?.created ?? "unknown",
    backend: backend.name,
  };
  const formTemplates = FormTemplates.shipped();
  if (!formTemplates) options.log?.("no models/form-templates.json: tunes get generic form plans");
  const rhythmProfiles = RhythmProfiles.shipped();
  if (!rhythmProfiles)
    options.log?.("no models/rhythm-profiles.json: no preference for tunes that move like their type");
  const model: ComposerModel = {
    name: info.name,
    vocabulary: loaded.vocabulary,
    table: buildTokenTable(loaded.vocabulary),
    stepper,
    ...(formTemplates ? { formTemplates } : {}),
    ...(rhythmProfiles ? { rhythmProfiles } : {}),
  };
  return {
    model: info,
    compose: (request, options) => composeWith(model, info, request, options),
    dispose: () => stepper.dispose(),
  };
}

export async function composeWith(
  model: ComposerModel,
  info: ModelInfo,
  request: ComposeRequest,
  options: ComposeOptions = {},
): Promise<ComposeResult> {
  const started = performance.now();
  const clock = stopwatch();
  const generated = generateTune(model, request, options);
  const tune = request.chords
    ? harmonise(generated.tune, loadHarmonyTables())
    : withoutChords(generated.tune);
  const generateMs = clock();
  const renderings = await renderTune(tune, {
    instrument: request.instrument,
    ...(request.chords ? { accompaniment: request.accompaniment } : {}),
    // Hornpipes are played swung (unless the seed set the meter, the style is what was asked).
    ...(request.style === "hornpipe" && !request.seed ? { swing: true } : {}),
    ...(request.bodhran ? { bodhran: true } : {}),
    ...(options.audio === false ? { audio: false } : {}),
    ...(options.score === false ? { score: false } : {}),
  });
  return {
    request,
    tune,
    generatedFrom: generated.generatedFrom,
    renderings,
    candidates: generated.candidates,
    chosen: generated.chosen,
    notes: generated.notes,
    model: info,
    timings: { generateMs, ...renderings.timings, totalMs: performance.now() - started },
  };
}
