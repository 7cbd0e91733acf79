import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../atomic-write.js";
import { ModelVersionError } from "./version-ids.js";

/**
 * DATA_DIR/models/active.json = {id, previous: [ids, newest first], activatedAt} says which
 * version is active. It is the truth; the store's model_versions statuses are reconciled
 * from it. It is replaced atomically and durably (atomic-write.ts) under the pointer lock
 * (pointer-lock.ts), so a crash leaves the old pointer or the new one.
 */
export const ACTIVE_POINTER = "active.json";
/** How many earlier versions the pointer remembers for rollback. */
export const MAX_PREVIOUS = 20;

export interface ActivePointer {
  readonly id: string;
  readonly previous: readonly string[];
  readonly activatedAt: string;
}

/** The pointer file's text, "" without one: it changes whenever the active version does. */
export function readPointerText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

/** The pointer in `file`, undefined without one; throws when it is not a pointer. */
export function readPointer(file: string): ActivePointer | undefined {
  const text = readPointerText(file);
  if (text === "") return undefined;
  const json = JSON.parse(text) as Partial<ActivePointer>;
  if (typeof json.id !== "string" || !Array.isArray(json.previous))
    throw new ModelVersionError(`${file} is not an active-version pointer`);
  return { id: json.id, previous: json.previous.map(String), activatedAt: String(json.activatedAt ?? "") };
}

/** The pointer, or undefined when there is none or it cannot be read (treated as no history). */
export function readPointerOrNone(file: string): ActivePointer | undefined {
  try {
    return readPointer(file);
  } catch {
    return undefined;
  }
}

export async function writePointer(file: string, pointer: ActivePointer): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(pointer, null, 2)}\n`, { durable: true });
}
