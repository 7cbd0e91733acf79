import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { TfBackend } from "../config.js";

/**
 * Picks the TensorFlow.js backend once per process: the native tfjs-node when it is
 * installed and loads (it is optional: its installer downloads libtensorflow, which is
 * not always reachable), else WebAssembly (binaries ship inside the npm package, ~40×
 * faster than pure JS here), else the pure-JS cpu backend.
 */
export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendChoice {
  readonly name: BackendName;
  /** Why the preferred backends were skipped, for the log line. */
  readonly skipped: readonly string[];
}

let chosen: Promise<BackendChoice> | undefined;

export function initBackend(
  preference: TfBackend = "auto",
  log?: (msg: string) => void,
): Promise<BackendChoice> {
  chosen ??= choose(preference).then((choice) => {
    const why = choice.skipped.length > 0 ? ` (skipped: ${choice.skipped.join("; ")})` : "";
    log?.(`TensorFlow.js backend: ${choice.name}${why}`);
    return choice;
  });
  return chosen;
}

async function choose(preference: TfBackend): Promise<BackendChoice> {
  const order: BackendName[] =
    preference === "node"
      ? ["tensorflow"]
      : preference === "wasm"
        ? ["wasm"]
        : preference === "cpu"
          ? ["cpu"]
          : ["tensorflow", "wasm", "cpu"];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (await activate(name)) return { name, skipped };
      skipped.push(`${name}: did not initialise`);
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join("; ")}); set TF_BACKEND=auto or cpu`);
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === "tensorflow") {
    // Optional dependency: absent or without its native library on many machines.
    const moduleName = "@tensorflow/tfjs-node";
    await import(moduleName);
  }
  if (name === "wasm") setWasmPaths(wasmDirectory());
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok && tf.getBackend() === name;
}

function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return `${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`;
}

export { tf };
