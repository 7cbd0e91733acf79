/**
 * Typed errors of the music core. Every reader turns bad input into one of these,
 * with a `code` for statistics and tests and a message a user can act on.
 */
export class MusicError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Which tune of a file an ABC error belongs to. */
export interface TuneRef {
  /** 0-based index of the tune in its file. */
  readonly index: number;
  readonly x?: string;
  readonly title?: string;
}

export interface SourcePosition {
  /** 1-based line in the file. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

export type AbcErrorCode =
  | "no-tune"
  | "no-notes"
  | "missing-key"
  | "bad-key"
  | "bad-meter"
  | "bad-unit-length"
  | "meter-change"
  | "unexpected-symbol"
  | "bad-duration"
  | "bad-tuplet"
  | "unterminated"
  | "too-large";

export class AbcParseError extends MusicError {
  constructor(
    override readonly code: AbcErrorCode,
    readonly detail: string,
    readonly tune: TuneRef,
    readonly position?: SourcePosition,
  ) {
    const where = position ? ` at line ${position.line}, column ${position.column}` : "";
    const name = tune.title ? `"${tune.title}"` : `#${tune.index + 1}`;
    super(code, `ABC tune ${name}${tune.x ? ` (X:${tune.x})` : ""}${where}: ${detail}`);
  }
}

export type MidiErrorCode =
  | "not-midi"
  | "corrupt"
  | "empty"
  | "drums-only"
  | "too-large"
  | "too-long"
  | "unsupported";

export class MidiImportError extends MusicError {
  constructor(
    override readonly code: MidiErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
