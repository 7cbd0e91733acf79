/**
 * Additive synthesis of the sound bank's samples. Every sample is a sum of exact harmonics
 * of its root note, with the sample rate chosen so one period is a whole number of sample
 * points: the loop is then seamless by construction, and whatever evolves at the start (a
 * pluck's bright partials dying away, a bow's scratch, a breath chiff) is baked into the
 * unlooped attack that leads into it.
 */

export interface Spectrum {
  /** Steady amplitude of harmonic `h` (1 = fundamental) whose frequency is `hz` at the root. */
  readonly amplitude: (h: number, hz: number) => number;
  /** Most harmonics to synthesise, before band-limiting. */
  readonly maxHarmonics: number;
}

export interface AttackRecipe {
  /** Length of the unlooped start, seconds; the loop starts where it ends. */
  readonly seconds: number;
  /**
   * Struck and plucked strings: exponential decay time of the fundamental (s) while the
   * attack lasts; harmonic h decays `1 + tilt·(h−1)` times faster. Frozen at the loop.
   */
  readonly decay?: { readonly fundamental: number; readonly tilt: number };
  /** A noise burst (hammer, pick, bow scratch, breath) that dies away before the loop. */
  readonly noise?: { readonly level: number; readonly seconds: number; readonly lowpassHz: number };
}

export interface SampleRecipe {
  readonly spectrum: Spectrum;
  readonly attack: AttackRecipe;
  /**
   * A second, slightly sharp set of partials (accordion musette reeds). Its pitch is fixed
   * by the loop (`k + 1` of its periods in `k` of the main one), so the beating is seamless.
   */
  readonly detuneCents?: number;
}

export interface SynthesizedSample {
  readonly data: Float32Array;
  readonly sampleRate: number;
  readonly loopStart: number;
  readonly loopEnd: number;
}

/** Highest partial kept when the zone's top key sounds: below the 12 kHz Nyquist of 24 kHz output. */
const MAX_PARTIAL_HZ = 10_500;
/** Sample points per harmonic of the highest partial, so the interpolating resampler stays clean. */
const POINTS_PER_HARMONIC = 3;
/** The SF2 spec wants loops of 32 points or more; we also keep 8 valid points after the loop. */
const MIN_LOOP_POINTS = 64;
const POST_LOOP_POINTS = 8;

export function midiHz(key: number): number {
  return 440 * 2 ** ((key - 69) / 12);
}

/**
 * The sample for a key zone rooted at `rootKey` whose highest key is `topKey`: harmonics
 * that would alias when the top key plays are left out.
 */
export function synthesizeSample(recipe: SampleRecipe, rootKey: number, topKey: number): SynthesizedSample {
  const f0 = midiHz(rootKey);
  const harmonics = Math.max(
    1,
    Math.min(recipe.spectrum.maxHarmonics, Math.floor(MAX_PARTIAL_HZ / midiHz(topKey))),
  );
  const period = Math.max(16, POINTS_PER_HARMONIC * harmonics);
  const sampleRate = Math.round(f0 * period);

  // k main periods hold k+1 periods of the detuned reed: k = 1 / (2^(cents/1200) − 1).
  const detuneRatio = recipe.detuneCents ? 2 ** (recipe.detuneCents / 1200) : 0;
  const detunePeriods = detuneRatio ? Math.max(1, Math.round(1 / (detuneRatio - 1))) : 0;
  const loopPeriods = Math.max(detunePeriods, Math.ceil(MIN_LOOP_POINTS / period));
  const loopLength = loopPeriods * period;
  const attackLength = Math.ceil((recipe.attack.seconds * sampleRate) / period) * period;
  const length = attackLength + loopLength + POST_LOOP_POINTS;
  const data = new Float32Array(length);

  // Schroeder phases keep the crest factor low; quantised to the table so indexes stay integral.
  const table = new Float64Array(loopLength);
  for (let i = 0; i < loopLength; i++) table[i] = Math.sin((2 * Math.PI * i) / loopLength);
  const decay = recipe.attack.decay;
  for (let h = 1; h <= harmonics; h++) {
    const amplitude = recipe.spectrum.amplitude(h, h * f0);
    if (amplitude === 0) continue;
    const phase = Math.round(((h * (h - 1)) / (2 * harmonics)) * loopLength) % loopLength;
    // Decay per sample point during the attack: higher partials of a pluck die faster.
    const fade = decay ? Math.exp(-(1 + decay.tilt * (h - 1)) / (decay.fundamental * sampleRate)) : 1;
    const partial = { amplitude, fade, attackLength };
    addPartial(data, table, { ...partial, cycles: h * loopPeriods, phase });
    // The same partial on the second reed: h·(k+1) cycles per loop instead of h·k.
    if (detunePeriods)
      addPartial(data, table, { ...partial, cycles: h * (loopPeriods + 1), phase: (phase * 7) % loopLength });
  }
  if (recipe.attack.noise) addNoise(data, recipe.attack.noise, attackLength, sampleRate);
  return { data, sampleRate, loopStart: attackLength, loopEnd: attackLength + loopLength };
}

interface Partial {
  /** Whole sine cycles per loop (the table's length). */
  readonly cycles: number;
  /** Starting index into the table. */
  readonly phase: number;
  readonly amplitude: number;
  /** Envelope factor per sample point until `attackLength`; steady after. */
  readonly fade: number;
  readonly attackLength: number;
}

function addPartial(data: Float32Array, table: Float64Array, partial: Partial): void {
  const n = table.length;
  const { cycles, fade, attackLength } = partial;
  let envelope = partial.amplitude;
  let index = partial.phase;
  for (let i = 0; i < data.length; i++) {
    data[i] = (data[i] as number) + envelope * (table[index] as number);
    index += cycles;
    while (index >= n) index -= n;
    if (i < attackLength) envelope *= fade;
  }
}

/** Deterministic low-passed noise, faded to exactly zero where the loop begins. */
function addNoise(
  data: Float32Array,
  noise: NonNullable<AttackRecipe["noise"]>,
  attackLength: number,
  sampleRate: number,
): void {
  let seed = 0x9e3779b9;
  const random = (): number => {
    // xorshift32: reproducible, so the sound bank is the same in every process.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x80000000 - 1;
  };
  const smoothing = 1 - Math.exp((-2 * Math.PI * noise.lowpassHz) / sampleRate);
  const perSample = Math.exp(-1 / (noise.seconds * sampleRate));
  let envelope = noise.level;
  let state = 0;
  for (let i = 0; i < attackLength; i++) {
    state += smoothing * (random() - state);
    const fade = 1 - i / attackLength;
    data[i] = (data[i] as number) + envelope * fade * state * 2;
    envelope *= perSample;
  }
}
