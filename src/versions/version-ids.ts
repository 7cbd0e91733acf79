/**
 * Model version ids. Version "0" is the shipped model (MODEL_DIR), never written; retrained
 * versions are `v<N>-<yyyymmddHHMMss>` (N counts up from 1, the time is UTC).
 */
export const VERSION_ZERO = "0";
const ID_PATTERN = /^v(\d+)-(\d{14})$/;

export class ModelVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelVersionError";
  }
}

/** A retrained version's id (version 0 is not one). */
export function isVersionId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** N of `v<N>-…`; 0 for version 0; unknown ids sort last. */
export function versionNumber(id: string): number {
  return id === VERSION_ZERO ? 0 : Number(ID_PATTERN.exec(id)?.[1] ?? Number.POSITIVE_INFINITY);
}

/** A fresh id, one above every id `taken`. */
export function nextVersionId(taken: readonly string[], now: Date): string {
  const n = Math.max(0, ...taken.filter(isVersionId).map(versionNumber)) + 1;
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  return `v${n}-${stamp}`;
}

/** The id `input` names: a full id, `v3`, `3` or `0`, looked up among `known` (version order). */
export function matchVersionId(input: string, known: readonly string[]): string | undefined {
  const wanted = input.trim();
  if (wanted === VERSION_ZERO || isVersionId(wanted)) return wanted;
  const n = /^v?(\d+)$/.exec(wanted)?.[1];
  return n === undefined ? undefined : known.find((id) => versionNumber(id) === Number(n));
}
