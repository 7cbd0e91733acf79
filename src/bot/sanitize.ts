import { escapeMarkdown } from "discord.js";

/**
 * Text that strangers chose (tune titles, submission notes, file names) shown back in
 * messages: control characters removed, Markdown escaped so it cannot restyle or fake
 * parts of the message, and capped in length. Mentions are disabled client-wide
 * (client.ts), so "@everyone" in a title pings nobody.
 */
export function userText(text: string, maxLength: number): string {
  // Control characters (newlines included) and zero-width/bidi marks that can disguise text.
  const flat = text
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const capped = [...flat].length > maxLength ? `${[...flat].slice(0, maxLength - 1).join("")}…` : flat;
  return escapeMarkdown(capped);
}
