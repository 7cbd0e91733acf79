import { parseAbc } from "../../src/music/abc-read.js";
import { AbcParseError } from "../../src/music/music-errors.js";

/** The error the reader refuses `text` with; fails the test when it reads it. */
export function abcRefusal(text: string): AbcParseError {
  try {
    parseAbc(text);
  } catch (error) {
    if (error instanceof AbcParseError) return error;
    throw error;
  }
  throw new Error("expected an AbcParseError");
}
