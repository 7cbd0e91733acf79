/**
 * What callers of the composition service see, whichever queue runs it (the thread pool
 * in the bot's process or workers behind Redis): which model composes, and how a request
 * can fail.
 */
export interface ModelSource {
  readonly modelDir: string;
  /** Version id reported with every tune (see src/model/versions.ts). */
  readonly modelVersion?: string;
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
