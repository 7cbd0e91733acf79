import type { ForgetResult } from "../store/store.js";
import { userText } from "./sanitize.js";

/** Longest title shown in a /forget report (the report lists many). */
const TITLE_MAX = 60;
/** Items listed by id and title; the rest are counted (a message holds 2 000 characters). */
const LISTED = 10;

/**
 * The /forget report: what was deleted, and which submissions stay because a model version
 * was trained on them. `whose`: "yours", or a user id in code for an admin.
 */
export function forgetReport(result: ForgetResult, whose: string): string {
  const lines: string[] = [];
  const deleted = result.submissionsDeleted;
  if (result.seedsDeleted === 0 && deleted.length === 0 && result.trained.length === 0)
    return `Nothing to forget: I have no seeds or submissions of ${whose}.`;
  lines.push(
    `Deleted ${count(result.seedsDeleted, "stored seed")} and ${count(deleted.length, "submission")} not trained on yet.`,
  );
  if (deleted.length > 0)
    lines.push(...listed(deleted.map((s) => `#${s.id} ${title(s.title)} (${s.status})`)));
  if (result.trained.length > 0) {
    lines.push(
      `Already part of a model version, so they stay listed as its training data (the model learned from them; the next retraining does not use them again): ${count(result.trained.length, "submission")}.`,
    );
    lines.push(
      ...listed(
        result.trained.map(
          (s) =>
            `#${s.id} ${title(s.title)}${s.versions.length ? ` in version ${s.versions.join(", ")}` : ""}`,
        ),
      ),
    );
  }
  if (deleted.length > 0 || result.seedsDeleted > 0)
    lines.push("Buttons under tunes made from a deleted seed now ask for the seed file again.");
  return lines.join("\n");
}

function listed(items: readonly string[]): string[] {
  const shown = items.slice(0, LISTED).map((item) => `• ${item}`);
  if (items.length > LISTED) shown.push(`• …and ${items.length - LISTED} more`);
  return shown;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function title(text: string): string {
  return `“${userText(text, TITLE_MAX)}”`;
}
