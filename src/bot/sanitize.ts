import { escapeMarkdown } from "discord.js";

/**
 * Text that strangers chose (tune titles, submission notes, file names) shown back in
 * messages: control characters removed, Markdown escaped so it cannot restyle or fake
 * parts of the message, and capped in length. Mentions are disabled client-wide
 * (client.ts), so "@everyone" in a title pings nobody.
 */
export function userText(text: string, maxLength: number): string {
  const escaped = escapeMarkdown(cap(flatten(text), maxLength), {
    heading: true,
    bulletedList: true,
    numberedList: true,
    maskedLink: true,
  });
  // Pings are off anyway; this keeps mentions from even looking like ones.
  return escaped.replace(/@(everyone|here)/g, "@\u200b$1").replace(/<([@#])/g, "<\u200b$1");
}

/** Longest file name shown back. */
export const FILE_NAME_MAX = 60;

/**
 * A file name as inline code (`name`). Nothing inside a code span is Markdown or a mention,
 * so only a backtick could end it early: backticks become a look-alike (ˋ).
 */
export function codeName(name: string, maxLength = FILE_NAME_MAX): string {
  const safe = cap(flatten(name).replace(/`/g, "ˋ"), maxLength);
  return `\`${safe === "" ? "(no name)" : safe}\``;
}

/** Control characters (newlines included) and zero-width/bidi marks that can disguise text, as spaces. */
function flatten(text: string): string {
  return text
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function cap(text: string, maxLength: number): string {
  const chars = [...text];
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join("")}…` : text;
}
