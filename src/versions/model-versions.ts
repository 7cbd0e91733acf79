import { existsSync } from "node:fs";
import path from "node:path";
import { disposeWeights } from "../model/lstm-weights.js";
import { loadModelDir, readModelVocabulary } from "../model/model-dir.js";
import { checkModelVocabulary } from "../model/vocabulary-check.js";
import type { Vocabulary } from "../music/vocabulary.js";
import type { Store } from "../store/store.js";
import {
  ACTIVE_POINTER,
  type ActivePointer,
  MAX_PREVIOUS,
  readPointer,
  readPointerOrNone,
  readPointerText,
  writePointer,
} from "./active-pointer.js";
import { withPointerLock } from "./pointer-lock.js";
import {
  describeVersions,
  reconcileStore,
  type VersionInfo,
  type VersionsOnDisk,
} from "./version-catalog.js";
import {
  deleteVersionDirs,
  missingServedFiles,
  sweepStaging,
  versionIdsIn,
  writeVersionDir,
} from "./version-dirs.js";
import {
  isVersionId,
  ModelVersionError,
  matchVersionId,
  nextVersionId,
  VERSION_ZERO,
} from "./version-ids.js";

/**
 * The model versions the bot can serve: version "0" is the shipped model (MODEL_DIR);
 * retrained versions are directories DATA_DIR/models/<id> (version-ids.ts, version-dirs.ts);
 * DATA_DIR/models/active.json names the active one (active-pointer.ts), changed by one
 * process at a time (pointer-lock.ts); the store's rows are reconciled with it (version-catalog.ts).
 */
export interface ActiveVersion {
  readonly id: string;
  readonly dir: string;
  /** Set when the pointer could not be followed and version 0 is served instead: log it. */
  readonly fallbackReason?: string;
}

export interface ModelVersionsOptions {
  /** DATA_DIR: versions live in `<dataDir>/models`. */
  readonly dataDir: string;
  /** MODEL_DIR: the shipped model, version 0. */
  readonly baseModelDir: string;
  /** Kept consistent with the pointer when given. */
  readonly store?: Store;
}

export class ModelVersions {
  readonly root: string;
  readonly baseModelDir: string;
  private readonly store: Store | undefined;

  constructor(options: ModelVersionsOptions) {
    this.root = path.join(path.resolve(options.dataDir), "models");
    this.baseModelDir = path.resolve(options.baseModelDir);
    this.store = options.store;
  }

  get pointerFile(): string {
    return path.join(this.root, ACTIVE_POINTER);
  }

  /** Directory of a version id (which need not exist). */
  dirOf(id: string): string {
    if (id === VERSION_ZERO) return this.baseModelDir;
    if (!isVersionId(id)) throw new ModelVersionError(`"${id}" is not a model version id`);
    return path.join(this.root, id);
  }

  /** Accepts a full id, `v3`, `3` or `0`; throws with the known ids when it names none. */
  resolveId(input: string): string {
    const match = matchVersionId(input, this.versionIdsOnDisk());
    if (match) return match;
    const known = [VERSION_ZERO, ...this.versionIdsOnDisk()].join(", ");
    throw new ModelVersionError(`there is no model version "${input.trim()}" (known: ${known})`);
  }

  /** Content of the pointer file ("" without one): changes whenever the active version does. */
  pointerStamp(): string {
    return readPointerText(this.pointerFile);
  }

  readPointer(): ActivePointer | undefined {
    return readPointer(this.pointerFile);
  }

  /** The version to serve. Cheap (reads one small file and checks a directory): fine to poll. */
  activeVersion(): ActiveVersion {
    const base = { id: VERSION_ZERO, dir: this.baseModelDir };
    let pointer: ActivePointer | undefined;
    try {
      pointer = this.readPointer();
    } catch (error) {
      return { ...base, fallbackReason: `${this.pointerFile} is unreadable (${(error as Error).message})` };
    }
    if (!pointer || pointer.id === VERSION_ZERO) return base;
    let dir: string;
    try {
      dir = this.dirOf(pointer.id);
    } catch (error) {
      return { ...base, fallbackReason: (error as Error).message };
    }
    const missing = missingServedFiles(dir);
    if (missing.length > 0)
      return {
        ...base,
        fallbackReason: `the active version ${pointer.id} is incomplete (${dir} lacks ${missing.join(", ")}); serving the shipped model`,
      };
    return { id: pointer.id, dir };
  }

  /** Ids of the version directories, in version order. */
  versionIdsOnDisk(): string[] {
    return versionIdsIn(this.root);
  }

  /** A fresh id, one above every version on disk or in the store. */
  nextVersionId(now = new Date()): string {
    const taken = [...this.versionIdsOnDisk(), ...(this.store?.listVersions().map((v) => v.id) ?? [])];
    return nextVersionId(taken, now);
  }

  /**
   * Writes a new version directory: `write` fills a staging directory, which is then
   * renamed into place. Staging directories of dead processes are removed first.
   */
  async createVersion(id: string, write: (dir: string) => Promise<void>): Promise<string> {
    const dir = this.dirOf(id);
    if (id === VERSION_ZERO)
      throw new ModelVersionError("version 0 is the shipped model and is never written");
    if (existsSync(dir)) throw new ModelVersionError(`model version ${id} already exists`);
    return writeVersionDir(this.root, id, write);
  }

  /**
   * Deletes old version directories, so retraining does not fill the disk: keeps the
   * active version, the `keep` versions rollback would return to, and the `keep` newest
   * (a rejected candidate may still be wanted); version 0 is never touched. Rollback's
   * list forgets the deleted ones. Returns their ids.
   */
  async prune(keep: number): Promise<string[]> {
    if (!Number.isInteger(keep) || keep < 1)
      throw new ModelVersionError(`keep must be 1 or more, not ${keep}`);
    return withPointerLock(this.root, async () => {
      const pointer = readPointerOrNone(this.pointerFile);
      const previous = pointer?.previous ?? [];
      const onDisk = this.versionIdsOnDisk();
      const kept = new Set([this.activeVersion().id, ...previous.slice(0, keep), ...onDisk.slice(-keep)]);
      const removed = onDisk.filter((id) => !kept.has(id));
      await deleteVersionDirs(this.root, removed);
      if (pointer && removed.length > 0)
        await writePointer(this.pointerFile, {
          ...pointer,
          previous: previous.filter((id) => !removed.includes(id)),
        });
      return removed;
    });
  }

  /** Removes staging directories left by processes that died while writing a version. */
  sweepStaging(): string[] {
    return sweepStaging(this.root);
  }

  /**
   * Checks that a version can be served: it loads (weights, vocabulary and card agree)
   * and its vocabulary is the shipped model's, which submissions are checked against.
   */
  async check(id: string): Promise<void> {
    const dir = this.dirOf(id);
    let loaded: Awaited<ReturnType<typeof loadModelDir>>;
    try {
      loaded = await loadModelDir(dir);
    } catch (error) {
      throw new ModelVersionError(`model version ${id} cannot be loaded: ${(error as Error).message}`);
    }
    try {
      this.checkVocabulary(id, loaded.vocabulary);
    } finally {
      disposeWeights(loaded.weights);
    }
  }

  /** Refuses a version whose vocabulary is not the shipped model's (the bot's). */
  checkVocabulary(id: string, vocabulary: Vocabulary): void {
    const shipped = readModelVocabulary(this.baseModelDir);
    checkModelVocabulary(
      { fingerprint: vocabulary.fingerprint() },
      shipped,
      (m) =>
        new ModelVersionError(
          `model version ${id} uses another vocabulary (fingerprint ${m.model}, the bot's is ${m.vocabulary})`,
        ),
    );
  }

  /** Makes `id` the active version, if it loads. Returns the version now active. */
  async activate(id: string): Promise<ActiveVersion> {
    const wanted = this.resolveId(id);
    await this.check(wanted);
    await withPointerLock(this.root, async () => {
      const current = this.activeVersion().id;
      if (current === wanted) return;
      const previous = [current, ...(readPointerOrNone(this.pointerFile)?.previous ?? [])].filter(
        (p) => p !== wanted,
      );
      await writePointer(this.pointerFile, {
        id: wanted,
        previous: previous.slice(0, MAX_PREVIOUS),
        activatedAt: new Date().toISOString(),
      });
    });
    this.reconcile();
    return this.activeVersion();
  }

  /** Back to the version active before this one (which must still load). */
  async rollback(): Promise<{ readonly from: string; readonly to: ActiveVersion }> {
    let from = VERSION_ZERO;
    await withPointerLock(this.root, async () => {
      from = this.activeVersion().id;
      const previous = readPointerOrNone(this.pointerFile)?.previous ?? [];
      const target = previous[0];
      if (target === undefined)
        throw new ModelVersionError(
          from === VERSION_ZERO
            ? "there is nothing to roll back to: the shipped model (version 0) is active and no version was active before it"
            : `there is nothing to roll back to: no version was active before ${from}`,
        );
      try {
        await this.check(target);
      } catch (error) {
        throw new ModelVersionError(`cannot roll back to ${target}: ${(error as Error).message}`);
      }
      await writePointer(this.pointerFile, {
        id: target,
        previous: previous.slice(1),
        activatedAt: new Date().toISOString(),
      });
    });
    this.reconcile();
    return { from, to: this.activeVersion() };
  }

  /** Brings the store in line with the disk (version-catalog.ts). */
  reconcile(): void {
    if (this.store) reconcileStore(this.store, this.onDisk());
  }

  /** Every known version, oldest first, version 0 included. */
  listVersions(): VersionInfo[] {
    this.reconcile();
    return describeVersions(this.onDisk(), this.store?.listVersions() ?? []);
  }

  private onDisk(): VersionsOnDisk {
    return {
      activeId: this.activeVersion().id,
      ids: [VERSION_ZERO, ...this.versionIdsOnDisk()],
      dirOf: (id) => this.dirOf(id),
    };
  }
}
