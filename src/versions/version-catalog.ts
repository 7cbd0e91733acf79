import { readFileSync } from "node:fs";
import path from "node:path";
import { type ModelCard, parseCard } from "../model/card.js";
import type { Store } from "../store/store.js";
import type { ModelVersionRow, VersionStatus } from "../store/version-rows.js";
import { VERSION_ZERO, versionNumber } from "./version-ids.js";

/**
 * The store's model_versions rows kept in line with the disk, and every version described
 * from both: the pointer decides which is active, a row records the rest (parent, when,
 * the card and metrics), a directory without a row is described from its files.
 */
export interface VersionInfo {
  readonly id: string;
  readonly dir: string;
  readonly parent: string | null;
  readonly status: VersionStatus;
  readonly active: boolean;
  /** False when the directory has gone (deleted by hand): such a version cannot be activated. */
  readonly onDisk: boolean;
  readonly createdAt: string | null;
  /** The version's model card; undefined when it has none or it cannot be read. */
  readonly card: ModelCard | undefined;
  readonly metrics: unknown;
}

/** What the catalogue needs to know of the disk. */
export interface VersionsOnDisk {
  readonly activeId: string;
  /** Version ids with a directory, version 0 first. */
  readonly ids: readonly string[];
  dirOf(id: string): string;
}

type GatedMetrics = { gate?: { passed?: boolean } } | undefined;

/**
 * Brings the store in line with the disk: the pointer's version is the active row (its
 * training submissions marked used, which completes a promotion interrupted after the
 * pointer was written), and version directories without a row get one.
 */
export function reconcileStore(store: Store, disk: VersionsOnDisk): void {
  const rows = new Map(store.listVersions().map((r) => [r.id, r]));
  for (const id of disk.ids) {
    if (rows.has(id)) continue;
    const dir = disk.dirOf(id);
    const metrics = readJson(path.join(dir, "metrics.json")) as GatedMetrics;
    const card = readJson(path.join(dir, "card.json")) as { training?: { parent?: string } } | undefined;
    const row = store.recordVersion({
      id,
      parent: id === VERSION_ZERO ? null : (card?.training?.parent ?? null),
      dir,
      card,
      metrics,
      status: statusOf(metrics),
    });
    rows.set(id, row);
  }
  const stale = [...rows.values()].some((r) => (r.status === "active") !== (r.id === disk.activeId));
  if (stale) store.markVersionActive(disk.activeId);
}

/** Every known version (on disk or in `rows`), oldest first, version 0 included. */
export function describeVersions(disk: VersionsOnDisk, rows: readonly ModelVersionRow[]): VersionInfo[] {
  const onDisk = new Set(disk.ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ids = [...new Set([VERSION_ZERO, ...onDisk, ...byId.keys()])].sort(
    (a, b) => versionNumber(a) - versionNumber(b),
  );
  return ids.map((id) => {
    const row = byId.get(id);
    // The row's dir is a record; DATA_DIR or MODEL_DIR may have moved since.
    const dir = disk.dirOf(id);
    const card = asCard(row?.card ?? readJson(path.join(dir, "card.json")), dir);
    const metrics = row?.metrics ?? readJson(path.join(dir, "metrics.json"));
    const active = id === disk.activeId;
    return {
      id,
      dir,
      parent: row?.parent ?? null,
      status: active ? "active" : (row?.status ?? statusOf(metrics as GatedMetrics)),
      active,
      onDisk: onDisk.has(id),
      createdAt: row?.createdAt ?? null,
      card,
      metrics,
    };
  });
}

/** A version the gate turned down is rejected; any other is a candidate until activated. */
function statusOf(metrics: GatedMetrics): VersionStatus {
  return metrics?.gate?.passed === false ? "rejected" : "candidate";
}

function asCard(json: unknown, dir: string): ModelCard | undefined {
  try {
    return json === undefined ? undefined : parseCard(json, path.join(dir, "card.json"));
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}
