import { randomBytes } from "node:crypto";
import { ComposeFailedError, PoolBusyError, PoolClosedError } from "../compose/pool.js";
import { RequestError } from "../compose/request.js";
import { MusicError } from "../music/errors.js";

/**
 * Errors whose message is meant for the user: what was wrong and what to do. Anything
 * else is a bug or an outage; the user sees a short error id and the log has the rest.
 */
export class UserFacingError extends Error {
  /** How the command log classifies the refusal. */
  readonly outcome: string;
  constructor(message: string, outcome = "refused") {
    super(message);
    this.name = "UserFacingError";
    this.outcome = outcome;
  }
}

/** A short id to quote in a bug report and find in the log. */
export function newErrorId(): string {
  return randomBytes(4).toString("hex");
}

/** The user's message for an error the user can act on, or undefined for an internal error. */
export function userMessage(error: unknown): string | undefined {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof RequestError)
    return `That request doesn't work:\n${error.problems.map((p) => `• ${p}`).join("\n")}`;
  if (error instanceof ComposeFailedError && error.userFacing)
    return `I couldn't compose that: ${error.message}`;
  if (error instanceof MusicError) return `I couldn't use that tune: ${error.message}`;
  if (error instanceof PoolBusyError) return `I'm very busy right now: ${error.message}.`;
  if (error instanceof PoolClosedError) return "I'm restarting; please try again in a minute.";
  return undefined;
}

export function internalMessage(errorId: string): string {
  return `Sorry, something went wrong on my side (error \`${errorId}\`). Please try again; if it keeps happening, tell the bot's admins the error id.`;
}
