import { MusicError } from "../music/music-errors.js";
import { RequestError } from "./request.js";

/**
 * What callers of the composition service see, whichever queue runs it (the thread pool
 * in the bot's process or workers behind Redis): which model composes, and how a request
 * can fail.
 */
export interface ModelSource {
  readonly modelDir: string;
  /** Version id reported with every tune (see src/versions/version-ids.ts). */
  readonly modelVersion?: string;
}

/** A failure as it crosses a thread or a queue. */
export interface SerializedError {
  readonly message: string;
  readonly code?: string;
  /** The user's request or upload was at fault (the message says what to change). */
  readonly userFacing: boolean;
}

/**
 * The one place that decides whose fault a failure is: a tune that cannot be read or
 * continued (MusicError) or a request out of bounds (RequestError) is the user's, with a
 * message that says what to change; anything else is ours, and the user sees an error id.
 */
export function describeFailure(e: unknown): SerializedError {
  if (e instanceof MusicError) return { message: e.message, code: e.code, userFacing: true };
  if (e instanceof RequestError) return { message: e.message, code: "bad-request", userFacing: true };
  return { message: e instanceof Error ? (e.stack ?? e.message) : String(e), userFacing: false };
}

/** A composition that failed; `userFacing` when the request or the upload was at fault. */
export class ComposeFailedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** The request or the upload was at fault; the message tells the user what to change. */
    readonly userFacing: boolean,
  ) {
    super(message);
  }
}

/** Every composer is busy and the queue is full: try again shortly. */
export class ComposeBusyError extends Error {}

/** The service is shutting down and takes no more work. */
export class ComposeClosedError extends Error {}
