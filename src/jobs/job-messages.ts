/**
 * What the bot and the `npm run worker` processes say to each other through Redis.
 *
 * Queues (BullMQ, every key under REDIS_PREFIX):
 *   compose   jobs { type: "compose", request, options } and { type: "render", tune, options };
 *             job id `compose-<interaction id>` (so a request is composed once) or `render-<uuid>`
 *   retrain   jobs { runId, steps?, learningRate?, requestedBy }; job id `retrain-<runId>`;
 *             progress (job.updateProgress) = the retraining child's messages (retrain/run-reports.ts)
 *
 * A job's return value stays small: the result itself (tune, candidates, MIDI, audio,
 * score: 50-500 kB) is written by the worker to its own key `<prefix>:result:<job id>`,
 * v8-serialised (the structured clone the thread pool uses, so byte arrays stay bytes),
 * with a TTL of RESULT_TTL_SECONDS; the return value only names that key.
 *
 * Pub/sub channels:
 *   <prefix>:model            "the active version may have changed": workers re-read the pointer
 *   <prefix>:retrain-cancel   { runId }: the worker running it stops it (SIGTERM to its child)
 */
import { deserialize, serialize } from "node:v8";
import type { ComposeOptions } from "../compose/composer.js";
import type { RenderOptions } from "../compose/renderings.js";
import type { ComposeRequest } from "../compose/request.js";
import type { Tune } from "../music/tune.js";

export const COMPOSE_QUEUE = "compose";
export const RETRAIN_QUEUE = "retrain";

/** How long a finished composition waits in Redis for the bot: Discord's interaction lifetime. */
export const RESULT_TTL_SECONDS = 15 * 60;

/** Only what survives JSON: `now` (a function, for tests) stays behind. */
export type JobComposeOptions = Pick<ComposeOptions, "audio" | "score" | "timeLimitMs">;

export type ComposeJobData =
  | { readonly type: "compose"; readonly request: ComposeRequest; readonly options: JobComposeOptions }
  | { readonly type: "render"; readonly tune: Tune; readonly options: RenderOptions };

export interface ComposeJobReturn {
  /** Redis key of the v8-serialised result. */
  readonly resultKey: string;
  readonly bytes: number;
  /** The worker that made it (`host:pid`). */
  readonly worker: string;
}

export interface RetrainJobData {
  readonly runId: number;
  readonly steps?: number;
  readonly learningRate?: number;
  readonly requestedBy: string | null;
}

/**
 * A failure the user caused (a seed the model cannot continue…): not retried, and shown to
 * the user. Carried as the job's failedReason.
 */
export interface UserFacingFailure {
  readonly userFacing: true;
  readonly message: string;
  readonly code?: string;
}

export const USER_FACING_PREFIX = "user-facing:";

export function encodeUserFacing(failure: Omit<UserFacingFailure, "userFacing">): string {
  return `${USER_FACING_PREFIX}${JSON.stringify({ ...failure, userFacing: true })}`;
}

export function decodeUserFacing(reason: string): UserFacingFailure | undefined {
  if (!reason.startsWith(USER_FACING_PREFIX)) return undefined;
  try {
    const parsed = JSON.parse(reason.slice(USER_FACING_PREFIX.length)) as Partial<UserFacingFailure>;
    if (typeof parsed.message !== "string") return undefined;
    return {
      userFacing: true,
      message: parsed.message,
      ...(typeof parsed.code === "string" ? { code: parsed.code } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface Channels {
  readonly model: string;
  readonly retrainCancel: string;
}

export function channels(prefix: string): Channels {
  return { model: `${prefix}:model`, retrainCancel: `${prefix}:retrain-cancel` };
}

export function resultKey(prefix: string, jobId: string): string {
  return `${prefix}:result:${jobId}`;
}

export function encodeResult(result: unknown): Buffer {
  return serialize(result);
}

export function decodeResult<T>(bytes: Buffer): T {
  return deserialize(bytes) as T;
}

/** A job id from an outside key: BullMQ refuses ':' in ids, and ids should stay short. */
export function jobIdFor(kind: string, key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100);
  return `${kind}-${clean}`;
}
