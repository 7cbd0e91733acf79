import { parentPort, workerData } from "node:worker_threads";
import type { TfBackend } from "../config.js";
import type { Tune } from "../music/tune.js";
import { type ComposeOptions, type Composer, loadComposer } from "./composer.js";
import { type Renderings, type RenderOptions, renderTune } from "./renderings.js";
import type { ComposeRequest } from "./request.js";
import { describeFailure, type ModelSource, type SerializedError } from "./service.js";

/**
 * One composition worker thread: loads the model once, then composes one request at a
 * time for the pool. Results travel back with their byte arrays transferred, not copied.
 */
export interface WorkerSetup extends ModelSource {
  readonly backend: TfBackend;
}

export type WorkerRequest =
  | {
      readonly type: "compose";
      readonly id: number;
      readonly request: ComposeRequest;
      readonly options: ComposeOptions;
    }
  | { readonly type: "render"; readonly id: number; readonly tune: Tune; readonly options: RenderOptions }
  /** Load another model and use it from the next request on (the pool sends it to idle workers only). */
  | ({ readonly type: "reload" } & ModelSource);

export type WorkerMessage =
  | { readonly type: "ready"; readonly model: Composer["model"] }
  | { readonly type: "failed-to-start"; readonly message: string }
  | { readonly type: "reloaded"; readonly model: Composer["model"] }
  | { readonly type: "reload-failed"; readonly message: string }
  | { readonly type: "result"; readonly id: number; readonly result: unknown }
  | { readonly type: "error"; readonly id: number; readonly error: SerializedError };

const port = parentPort;
if (!port) throw new Error("compose/composer-thread.ts runs as a worker thread");
const setup = workerData as WorkerSetup;

const load = (source: ModelSource) =>
  loadComposer(source.modelDir, setup.backend, {
    ...(source.modelVersion ? { version: source.modelVersion } : {}),
  });

/** Tells the pool a model could not be loaded, and why. */
const failed = (type: "failed-to-start" | "reload-failed", e: unknown) =>
  port.postMessage({ type, message: e instanceof Error ? e.message : String(e) } satisfies WorkerMessage);

let composer: Composer;
try {
  composer = await load(setup);
  port.postMessage({ type: "ready", model: composer.model } satisfies WorkerMessage);
} catch (e) {
  failed("failed-to-start", e);
  process.exit(1);
}

port.on("message", async (message: WorkerRequest) => {
  if (message.type === "reload") {
    try {
      const next = await load(message);
      composer.dispose();
      composer = next;
      port.postMessage({ type: "reloaded", model: composer.model } satisfies WorkerMessage);
    } catch (e) {
      // Keep composing with the model we have.
      failed("reload-failed", e);
    }
    return;
  }
  try {
    if (message.type === "render") {
      const renderings = await renderTune(message.tune, message.options);
      post(message.id, transferable(renderings));
    } else {
      const composed = await composer.compose(message.request, message.options);
      post(message.id, { ...composed, renderings: transferable(composed.renderings) });
    }
  } catch (e) {
    port.postMessage({ type: "error", id: message.id, error: describeFailure(e) } satisfies WorkerMessage);
  }
});

/** Sends a result with its byte arrays moved, not copied. */
function post(id: number, result: { renderings: Renderings } | Renderings): void {
  const renderings = "renderings" in result ? result.renderings : result;
  const transfer = [renderings.midi, renderings.ogg, renderings.png]
    .filter((b): b is Uint8Array => !!b)
    .map((b) => b.buffer as ArrayBuffer);
  port?.postMessage({ type: "result", id, result } satisfies WorkerMessage, transfer);
}

function transferable(renderings: Renderings): Renderings {
  const { midi, ogg, png } = renderings;
  return {
    ...renderings,
    midi: owned(midi),
    ...(ogg ? { ogg: owned(ogg) } : {}),
    ...(png ? { png: owned(png) } : {}),
  };
}

/** A copy (new Uint8Array, not a Buffer view) unless the array owns its whole buffer: a pooled Buffer must not be transferred. */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}
