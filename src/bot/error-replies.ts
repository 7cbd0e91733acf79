import { randomBytes } from "node:crypto";
import { HTTPError, RateLimitError } from "discord.js";
import { RequestError } from "../compose/request.js";
import { ComposeBusyError, ComposeClosedError, ComposeFailedError } from "../compose/service.js";
import { MusicError } from "../music/music-errors.js";
import { userText } from "./sanitize.js";

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
    return `That request doesn't work:\n${error.problems.map((p) => `• ${userText(p, 300)}`).join("\n")}`;
  // These quote the user's own input (option values, a seed's fields).
  if (error instanceof ComposeFailedError && error.userFacing)
    return `I couldn't compose that: ${userText(error.message, 300)}`;
  if (error instanceof MusicError) return `I couldn't use that tune: ${userText(error.message, 300)}`;
  if (error instanceof ComposeBusyError) return `I'm very busy right now: ${error.message}.`;
  if (error instanceof ComposeClosedError) return "I'm restarting; please try again in a minute.";
  // Discord itself failing: a retry later may work, and there is nothing of ours to report.
  if (error instanceof RateLimitError)
    return "Discord is holding back my messages right now (rate limits), so I couldn't deliver that. Please try again in a few minutes.";
  if (error instanceof HTTPError)
    return "Discord had trouble taking my reply (its servers answered with errors). Please try again in a minute.";
  return undefined;
}

/** Discord kept refusing or failing our requests (not our bug, not the user's mistake). */
export function isDiscordFailure(error: unknown): boolean {
  return error instanceof RateLimitError || error instanceof HTTPError;
}

export function internalMessage(errorId: string): string {
  return `Sorry, something went wrong on my side (error \`${errorId}\`). Please try again; if it keeps happening, tell the bot's admins the error id.`;
}
