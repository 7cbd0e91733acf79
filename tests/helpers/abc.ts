import { parseAbc } from "../../src/music/abc-read.js";
import { AbcParseError } from "../../src/music/music-errors.js";
import { thrownBy } from "./thrown.js";

/** The error the reader refuses `text` with; fails the test when it reads it. */
export function abcRefusal(text: string): AbcParseError {
  return thrownBy(() => parseAbc(text), AbcParseError);
}
