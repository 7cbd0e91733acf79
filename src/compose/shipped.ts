import { existsSync, readFileSync } from "node:fs";
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

/**
 * The list a table file (`{ format, <field>: [...] }`, written by one of our scripts) holds;
 * throws when the file is of another format.
 */
export function tableFrom<T>(json: unknown, format: string, field: string): T[] {
  const data = json as Record<string, unknown> | undefined;
  const list = data?.[field];
  if (data?.format !== format || !Array.isArray(list)) throw new Error(`not a ${format} file`);
  return list as T[];
}

/** The list of the table file models/`name`; undefined when the file is missing. */
export function shippedTable<T>(name: string, format: string, field: string): T[] | undefined {
  const file = shippedModelFile(name);
  return file ? tableFrom<T>(JSON.parse(readFileSync(file, "utf8")), format, field) : undefined;
}
