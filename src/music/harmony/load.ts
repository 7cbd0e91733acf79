import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { HarmonyTables } from "./tables.js";

/** The shipped tables, learned from the Nottingham Music Database (see models/harmony/README.md). */
export const DEFAULT_HARMONY_TABLES = fileURLToPath(
  new URL("../../../models/harmony/nottingham.json", import.meta.url),
);

const cache = new Map<string, HarmonyTables>();

/** Reads (once per process) and checks a tables file. */
export function loadHarmonyTables(file = DEFAULT_HARMONY_TABLES): HarmonyTables {
  const cached = cache.get(file);
  if (cached) return cached;
  const tables = JSON.parse(readFileSync(file, "utf8")) as HarmonyTables;
  const S = tables.states?.length ?? 0;
  const square = (m: readonly (readonly number[])[]) => m.length === S && m.every((r) => r.length === S);
  if (
    tables.format !== 1 ||
    S === 0 ||
    !Object.values(tables.modes).every(
      (m) => m.initial.length === S && Object.values(m.transitions).every(square),
    )
  ) {
    throw new Error(`${file} is not a harmony tables file (format 1) or is damaged`);
  }
  cache.set(file, tables);
  return tables;
}
