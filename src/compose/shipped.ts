import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file in the project's models/ folder, found from this file whichever way it runs
 * (sources or a build); undefined when it is missing.
 */
export function shippedModelFile(name: string): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = path.dirname(dir)) {
    const file = path.join(dir, "models", name);
    if (existsSync(file)) return file;
  }
  return undefined;
}
