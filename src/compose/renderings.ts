import { tuneToAbc } from "../music/abc-write.js";
import { verifyMidi } from "../music/midi-verify.js";
import { performedMidiNotes, tuneToMidi } from "../music/midi-write.js";
import { HORNPIPE_SWING } from "../music/performance.js";
import type { Tune } from "../music/tune.js";
import { renderAudioPreview } from "../render/audio.js";
import {
  ACCOMPANIMENTS,
  type AccompanimentName,
  INSTRUMENTS,
  type InstrumentName,
} from "../render/instruments.js";
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
  /** Plays the tune's chord symbols (if it has any) on this instrument, under the melody. */
  readonly accompaniment?: AccompanimentName;
  /** Swing the melody's eighths (hornpipes). */
  readonly swing?: boolean;
  /** A bodhrán under the tune. */
  readonly bodhran?: boolean;
  readonly audio?: boolean;
  readonly score?: boolean;
}

export async function renderTune(tune: Tune, options: RenderOptions): Promise<Renderings> {
  const clock = stopwatch();
  const abc = tuneToAbc(tune, { x: 1 });
  const midiOptions = {
    program: INSTRUMENTS[options.instrument].program,
    ...(options.accompaniment ? { accompaniment: ACCOMPANIMENTS[options.accompaniment] } : {}),
    ...(options.swing ? { swing: HORNPIPE_SWING } : {}),
    ...(options.bodhran ? { bodhran: true } : {}),
  };
  const midi = tuneToMidi(tune, midiOptions);
  verifyMidi(midi, performedMidiNotes(tune, midiOptions));
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
