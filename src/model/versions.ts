import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ModelVersionRow, VersionStatus } from "../store/model-versions.js";
import { processAlive } from "../store/runs.js";
import type { Store } from "../store/store.js";
import { type ModelCard, parseCard } from "./card.js";
import { disposeWeights } from "./lstm-weights.js";
import { loadModelDir, readModelVocabulary } from "./model-dir.js";

/**
 * The model versions the bot can serve. Version "0" is the shipped model (MODEL_DIR),
 * never written. Retrained versions are directories DATA_DIR/models/<id>, with ids
 * `v<N>-<yyyymmddHHMMss>` (N counts up from 1, the time is UTC), each holding model.json,
 * weights.bin, vocab.json, card.json, metrics.json and loss-curve.png. A version
 * directory appears whole or not at all: it is written under a staging name and renamed.
 *
 * DATA_DIR/models/active.json = {id, previous: [ids, newest first], activatedAt} says which
 * version is active. It is the truth; the store's model_versions statuses are reconciled
 * from it. It is replaced atomically (temporary file, fsync, rename, fsync of the
 * directory) under a lock file, so a crash leaves the old pointer or the new one.
 */
export const VERSION_ZERO = "0";
export const ACTIVE_POINTER = "active.json";
const LOCK_FILE = "active.lock";
const STAGING_PREFIX = ".staging-";
const ID_PATTERN = /^v(\d+)-(\d{14})$/;
/** How many earlier versions the pointer remembers for rollback. */
const MAX_PREVIOUS = 20;
const LOCK_TIMEOUT_MS = 10_000;

export class ModelVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelVersionError";
  }
}

export interface ActivePointer {
  readonly id: string;
  readonly previous: readonly string[];
  readonly activatedAt: string;
}

export interface ActiveVersion {
  readonly id: string;
  readonly dir: string;
  /** Set when the pointer could not be followed and version 0 is served instead: log it. */
  readonly fallbackReason?: string;
}

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
    if (!ID_PATTERN.test(id)) throw new ModelVersionError(`"${id}" is not a model version id`);
    return path.join(this.root, id);
  }

  /** Accepts a full id, `v3`, `3` or `0`; throws with the known ids when it names none. */
  resolveId(input: string): string {
    const wanted = input.trim();
    if (wanted === VERSION_ZERO || ID_PATTERN.test(wanted)) return wanted;
    const n = /^v?(\d+)$/.exec(wanted)?.[1];
    const match =
      n === undefined ? undefined : this.versionIdsOnDisk().find((id) => versionNumber(id) === Number(n));
    if (match) return match;
    const known = [VERSION_ZERO, ...this.versionIdsOnDisk()].join(", ");
    throw new ModelVersionError(`there is no model version "${wanted}" (known: ${known})`);
  }

  /** Content of the pointer file ("" without one): changes whenever the active version does. */
  pointerStamp(): string {
    try {
      return readFileSync(this.pointerFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw error;
    }
  }

  readPointer(): ActivePointer | undefined {
    const text = this.pointerStamp();
    if (text === "") return undefined;
    const json = JSON.parse(text) as Partial<ActivePointer>;
    if (typeof json.id !== "string" || !Array.isArray(json.previous))
      throw new ModelVersionError(`${this.pointerFile} is not an active-version pointer`);
    return { id: json.id, previous: json.previous.map(String), activatedAt: String(json.activatedAt ?? "") };
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
    const missing = ["model.json", "weights.bin", "vocab.json"].filter((f) => !existsSync(path.join(dir, f)));
    if (missing.length > 0)
      return {
        ...base,
        fallbackReason: `the active version ${pointer.id} is incomplete (${dir} lacks ${missing.join(", ")}); serving the shipped model`,
      };
    return { id: pointer.id, dir };
  }

  /** Ids of the version directories, in version order. */
  versionIdsOnDisk(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((name) => ID_PATTERN.test(name) && existsSync(path.join(this.root, name, "model.json")))
      .sort((a, b) => versionNumber(a) - versionNumber(b));
  }

  /** A fresh id, one above every version on disk or in the store. */
  nextVersionId(now = new Date()): string {
    const taken = [...this.versionIdsOnDisk(), ...(this.store?.listVersions().map((v) => v.id) ?? [])];
    const n = Math.max(0, ...taken.filter((id) => ID_PATTERN.test(id)).map(versionNumber)) + 1;
    const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
    return `v${n}-${stamp}`;
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
    mkdirSync(this.root, { recursive: true });
    this.sweepStaging();
    const staging = path.join(this.root, `${STAGING_PREFIX}${id}-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      await write(staging);
      syncDir(staging);
      renameSync(staging, dir);
      syncDir(this.root);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    return dir;
  }

  /**
   * Deletes old version directories, so retraining does not fill the disk: keeps the
   * active version, the `keep` versions rollback would return to, and the `keep` newest
   * (a rejected candidate may still be wanted); version 0 is never touched. Each directory
   * is first renamed to a staging name, so a crash never leaves a half-deleted version
   * that looks whole. Rollback's list forgets the deleted ones. Returns their ids.
   */
  async prune(keep: number): Promise<string[]> {
    if (!Number.isInteger(keep) || keep < 1)
      throw new ModelVersionError(`keep must be 1 or more, not ${keep}`);
    return this.withLock(() => {
      const pointer = this.safePointer();
      const previous = pointer?.previous ?? [];
      const onDisk = this.versionIdsOnDisk();
      const kept = new Set([this.activeVersion().id, ...previous.slice(0, keep), ...onDisk.slice(-keep)]);
      const removed = onDisk.filter((id) => !kept.has(id));
      for (const id of removed) {
        const doomed = path.join(this.root, `${STAGING_PREFIX}deleted-${id}-${process.pid}`);
        renameSync(this.dirOf(id), doomed);
        rmSync(doomed, { recursive: true, force: true });
      }
      if (pointer && removed.length > 0)
        this.writePointer({ ...pointer, previous: previous.filter((id) => !removed.includes(id)) });
      syncDir(this.root);
      return removed;
    });
  }

  /** Removes staging directories left by processes that died while writing a version. */
  sweepStaging(): string[] {
    if (!existsSync(this.root)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(this.root)) {
      if (!name.startsWith(STAGING_PREFIX)) continue;
      const pid = Number(/-(\d+)$/.exec(name)?.[1]);
      if (Number.isInteger(pid) && processAlive(pid)) continue;
      rmSync(path.join(this.root, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
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
      const expected = readModelVocabulary(this.baseModelDir).fingerprint();
      const actual = loaded.vocabulary.fingerprint();
      if (actual !== expected)
        throw new ModelVersionError(
          `model version ${id} uses another vocabulary (fingerprint ${actual}, the bot's is ${expected})`,
        );
    } finally {
      disposeWeights(loaded.weights);
    }
  }

  /** Makes `id` the active version, if it loads. Returns the version now active. */
  async activate(id: string): Promise<ActiveVersion> {
    const wanted = this.resolveId(id);
    await this.check(wanted);
    await this.withLock(() => {
      const current = this.activeVersion().id;
      if (current === wanted) return;
      const previous = [current, ...(this.safePointer()?.previous ?? [])].filter((p) => p !== wanted);
      this.writePointer({
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
    await this.withLock(async () => {
      from = this.activeVersion().id;
      const previous = this.safePointer()?.previous ?? [];
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
      this.writePointer({ id: target, previous: previous.slice(1), activatedAt: new Date().toISOString() });
    });
    this.reconcile();
    return { from, to: this.activeVersion() };
  }

  /**
   * Brings the store in line with the disk: the pointer's version is the active row (its
   * training submissions marked used, which completes a promotion interrupted after the
   * pointer was written), and version directories without a row get one.
   */
  reconcile(): void {
    const store = this.store;
    if (!store) return;
    const active = this.activeVersion().id;
    const rows = new Map(store.listVersions().map((r) => [r.id, r]));
    for (const id of [VERSION_ZERO, ...this.versionIdsOnDisk()]) {
      if (rows.has(id)) continue;
      const dir = this.dirOf(id);
      const metrics = readJson(path.join(dir, "metrics.json")) as { gate?: { passed?: boolean } } | undefined;
      const card = readJson(path.join(dir, "card.json")) as { training?: { parent?: string } } | undefined;
      const row = store.recordVersion({
        id,
        parent: id === VERSION_ZERO ? null : (card?.training?.parent ?? null),
        dir,
        card,
        metrics,
        status: metrics?.gate?.passed === false ? "rejected" : "candidate",
      });
      rows.set(id, row);
    }
    const stale = [...rows.values()].some((r) => (r.status === "active") !== (r.id === active));
    if (stale) store.markVersionActive(active);
  }

  /** Every known version, oldest first, version 0 included. */
  listVersions(): VersionInfo[] {
    this.reconcile();
    const active = this.activeVersion().id;
    const onDisk = new Set([VERSION_ZERO, ...this.versionIdsOnDisk()]);
    const rows: ModelVersionRow[] = this.store?.listVersions() ?? [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ids = [...new Set([VERSION_ZERO, ...onDisk, ...byId.keys()])].sort(
      (a, b) => versionNumber(a) - versionNumber(b),
    );
    return ids.map((id) => {
      const row = byId.get(id);
      // The row's dir is a record; DATA_DIR or MODEL_DIR may have moved since.
      const dir = this.dirOf(id);
      const card = asCard(row?.card ?? readJson(path.join(dir, "card.json")), dir);
      const metrics = row?.metrics ?? readJson(path.join(dir, "metrics.json"));
      const gatePassed = (metrics as { gate?: { passed?: boolean } } | undefined)?.gate?.passed;
      return {
        id,
        dir,
        parent: row?.parent ?? null,
        status: id === active ? "active" : (row?.status ?? (gatePassed === false ? "rejected" : "candidate")),
        active: id === active,
        onDisk: onDisk.has(id),
        createdAt: row?.createdAt ?? null,
        card,
        metrics,
      };
    });
  }

  private safePointer(): ActivePointer | undefined {
    try {
      return this.readPointer();
    } catch {
      return undefined;
    }
  }

  private writePointer(pointer: ActivePointer): void {
    mkdirSync(this.root, { recursive: true });
    const tmp = `${this.pointerFile}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, `${JSON.stringify(pointer, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.pointerFile);
    syncDir(this.root);
  }

  /** One writer of the pointer at a time, across processes; a dead holder's lock is broken. */
  private async withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    mkdirSync(this.root, { recursive: true });
    const lock = path.join(this.root, LOCK_FILE);
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        const fd = openSync(lock, "wx");
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = lockHolder(lock);
        if (holder === "dead") {
          rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline)
          throw new ModelVersionError(
            `another process (pid ${holder}) is changing the active model; try again`,
          );
        await sleep(50);
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** The pid holding the lock, or "dead"; a lock whose pid is not written yet counts as live for a while. */
function lockHolder(lock: string): number | "dead" {
  let text: string;
  try {
    text = readFileSync(lock, "utf8").trim();
  } catch {
    return "dead"; // released meanwhile: try again
  }
  const pid = Number(text);
  if (text === "") {
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return age > 2000 ? "dead" : 0;
  }
  return Number.isInteger(pid) && processAlive(pid) ? pid : "dead";
}

function versionNumber(id: string): number {
  return id === VERSION_ZERO ? 0 : Number(ID_PATTERN.exec(id)?.[1] ?? Number.POSITIVE_INFINITY);
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

/** A rename is durable only once its directory is synced. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
