import { MusicError } from "../../music/music-errors.js";

/** Why an audio preview could not be made (or, for the test reader, why an Ogg file is invalid). */
export type AudioPreviewErrorCode =
  | "not-midi"
  | "bad-midi"
  | "no-notes"
  | "bad-option"
  | "bad-ogg"
  | "no-soundfont";

export class AudioPreviewError extends MusicError {
  constructor(
    override readonly code: AudioPreviewErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
