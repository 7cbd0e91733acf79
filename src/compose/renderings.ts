import { tuneToAbc } from "../music/abc-write.js";
import { verifyMidi } from "../music/midi-verify.js";
import { tuneToMidi } from "../music/midi-write.js";
import { performNotes } from "../music/performance.js";
import type { Tune } from "../music/tune.js";
import { renderAudioPreview } from "../render/audio.js";
import { INSTRUMENTS, type InstrumentName } from "../render/instruments.js";
import { renderScore } from "../render/score.js";

/**
 * Everything a user receives for a tune: ABC text, the MIDI file (checked note for note
 * by an independent reader before it leaves), the audio preview rendered from those
 * same MIDI bytes, and the engraved score.
 */
export interface Renderings {
  readonly abc: string;
  readonly midi: Uint8Array;
  readonly ogg?: Uint8Array;
  readonly audioSeconds?: number;
  readonly png?: Uint8Array;
  readonly timings: { readonly midiMs: number; readonly audioMs: number; readonly scoreMs: number };
}

export interface RenderOptions {
  readonly instrument: InstrumentName;
  readonly audio?: boolean;
  readonly score?: boolean;
}

export async function renderTune(tune: Tune, options: RenderOptions): Promise<Renderings> {
  const clock = stopwatch();
  const abc = tuneToAbc(tune, { x: 1 });
  const midi = tuneToMidi(tune, { program: INSTRUMENTS[options.instrument].program });
  verifyMidi(midi, performNotes(tune));
  const midiMs = clock();
  const audio = options.audio === false ? undefined : await renderAudioPreview(midi);
  const audioMs = clock();
  const png = options.score === false ? undefined : renderScore(tune).png;
  const scoreMs = clock();
  return {
    abc,
    midi,
    ...(audio ? { ogg: audio.ogg, audioSeconds: audio.seconds } : {}),
    ...(png ? { png } : {}),
    timings: { midiMs, audioMs, scoreMs },
  };
}

/** Milliseconds since the previous call (or since creation). */
export function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = now - last;
    last = now;
    return elapsed;
  };
}
