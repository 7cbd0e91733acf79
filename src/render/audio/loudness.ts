/**
 * Loudness normalisation for the preview: every tune comes out at the same perceived
 * level whatever its velocities or instrument, with a look-ahead peak limiter so nothing
 * clips. Loudness is measured the BS.1770 way, simplified: K-weighting (a high-pass at
 * 38 Hz and a +4 dB shelf above ~1.5 kHz), then the mean square of 400 ms blocks gated
 * absolutely (silence) and at 10 dB below the ungated level.
 */

/** Preview loudness, dB (≈ LUFS for mono): quiet enough to leave room for plucked attacks. */
export const TARGET_LOUDNESS_DB = -18;
/** Sample peak ceiling, linear: −1 dBFS leaves room for the codec's overshoot. */
export const PEAK_CEILING = 10 ** (-1 / 20);
/**
 * The synthesiser has no noise floor, so even very soft velocities (SF2 maps velocity 15 to
 * about −45 dB) can be brought up cleanly; the limits only keep float rounding out of sight.
 */
const MAX_GAIN_DB = 90;
/** BS.1770 gates at −70 dB to skip silence; ours is digital zero, so gate far lower. */
const ABSOLUTE_GATE_DB = -100;

/** K-weighted, gated loudness in dB; −Infinity for silence. */
export function loudnessDb(pcm: Float32Array, sampleRate: number): number {
  // Mean squares of 100 ms steps; 400 ms blocks overlapping by 75% (as BS.1770) are four steps.
  const step = Math.max(1, Math.round(0.1 * sampleRate));
  const stepPowers = kWeightedPowers(pcm, sampleRate, step);
  const blocks: number[] = [];
  for (let i = 0; i + 4 <= stepPowers.length; i++) blocks.push(mean(stepPowers.slice(i, i + 4)));
  // A file shorter than one block is measured as a whole.
  if (blocks.length === 0 && stepPowers.length > 0) blocks.push(mean(stepPowers));
  const audible = blocks.filter((p) => p > 10 ** (ABSOLUTE_GATE_DB / 10));
  if (audible.length === 0) return Number.NEGATIVE_INFINITY;
  const relativeGate = mean(audible) * 10 ** (-10 / 10);
  const gated = audible.filter((p) => p > relativeGate);
  return 10 * Math.log10(mean(gated.length ? gated : audible));
}

/** Scales `pcm` in place to the target loudness, then limits its peaks; returns the gain in dB. */
export function normaliseLoudness(
  pcm: Float32Array,
  sampleRate: number,
  targetDb = TARGET_LOUDNESS_DB,
): number {
  const measured = loudnessDb(pcm, sampleRate);
  if (!Number.isFinite(measured)) return 0;
  const gainDb = Math.min(MAX_GAIN_DB, targetDb - measured);
  const gain = 10 ** (gainDb / 20);
  for (let i = 0; i < pcm.length; i++) pcm[i] = (pcm[i] as number) * gain;
  limitPeaks(pcm, sampleRate);
  return gainDb;
}

/**
 * Look-ahead limiter. The gain each sample needs (ceiling / |x|) is turned into a smooth
 * curve that is never above it: a running minimum over the next `L` samples, averaged over
 * the previous `L` (every value in that average already covers the current sample), then
 * a slow release so the gain does not flutter between peaks.
 */
export function limitPeaks(pcm: Float32Array, sampleRate: number, ceiling = PEAK_CEILING): void {
  const n = pcm.length;
  const lookahead = Math.max(1, Math.round(0.005 * sampleRate));
  const needed = new Float32Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(pcm[i] as number);
    needed[i] = a > ceiling ? ceiling / a : 1;
    if (a > ceiling) any = true;
  }
  if (!any) return;
  const windowMin = slidingMinAhead(needed, lookahead);
  const release = 1 - Math.exp(-1 / (0.08 * sampleRate));
  let sum = 0;
  let gain = 1;
  for (let i = 0; i < n; i++) {
    sum += windowMin[i] as number;
    if (i >= lookahead) sum -= windowMin[i - lookahead] as number;
    const smooth = sum / Math.min(i + 1, lookahead);
    gain = Math.min(smooth, gain + (1 - gain) * release);
    // Float rounding could leave the average a hair above the minimum: clamp to the exact need.
    pcm[i] = (pcm[i] as number) * Math.min(gain, needed[i] as number);
  }
}

/** out[i] = min(values[i .. i + width − 1]), by a monotonic deque in O(n). */
function slidingMinAhead(values: Float32Array, width: number): Float32Array {
  const n = values.length;
  const out = new Float32Array(n);
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  // Walk backwards so the window [i, i + width) has been seen when out[i] is written.
  for (let i = n - 1; i >= 0; i--) {
    const v = values[i] as number;
    while (tail > head && (values[deque[tail - 1] as number] as number) >= v) tail--;
    deque[tail++] = i;
    while ((deque[head] as number) >= i + width) head++;
    out[i] = values[deque[head] as number] as number;
  }
  return out;
}

/** Raised-cosine fade to silence over the last `seconds`, in place. */
export function fadeOut(pcm: Float32Array, sampleRate: number, seconds: number): void {
  const length = Math.min(pcm.length, Math.round(seconds * sampleRate));
  const start = pcm.length - length;
  for (let i = 0; i < length; i++) {
    pcm[start + i] = (pcm[start + i] as number) * 0.5 * (1 + Math.cos((Math.PI * (i + 1)) / length));
  }
}

export function peak(pcm: Float32Array): number {
  let max = 0;
  for (let i = 0; i < pcm.length; i++) max = Math.max(max, Math.abs(pcm[i] as number));
  return max;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

type Coefficients = readonly [b0: number, b1: number, b2: number, a1: number, a2: number];

/**
 * BS.1770 K-weighting (RBJ cookbook biquads, so any sample rate works), streamed: returns
 * the mean square of each `step` samples of the weighted signal without storing it.
 */
function kWeightedPowers(pcm: Float32Array, sampleRate: number, step: number): number[] {
  const [s0, s1, s2, s3, s4] = highShelf(1500, 4, sampleRate);
  const [h0, h1, h2, h3, h4] = highPass(38, 0.5, sampleRate);
  let sx1 = 0;
  let sx2 = 0;
  let sy1 = 0;
  let sy2 = 0;
  let hy1 = 0;
  let hy2 = 0;
  const powers: number[] = [];
  let sum = 0;
  let count = 0;
  for (let i = 0; i < pcm.length; i++) {
    const x = pcm[i] as number;
    const shelved = s0 * x + s1 * sx1 + s2 * sx2 - s3 * sy1 - s4 * sy2;
    sx2 = sx1;
    sx1 = x;
    // The high-pass takes the shelf's output, whose history is sy1, sy2.
    const y = h0 * shelved + h1 * sy1 + h2 * sy2 - h3 * hy1 - h4 * hy2;
    sy2 = sy1;
    sy1 = shelved;
    hy2 = hy1;
    hy1 = y;
    sum += y * y;
    if (++count === step) {
      powers.push(sum / step);
      sum = 0;
      count = 0;
    }
  }
  if (count > 0 && powers.length === 0) powers.push(sum / count);
  return powers;
}

function highShelf(hz: number, gainDb: number, sampleRate: number): Coefficients {
  const a = 10 ** (gainDb / 40);
  const w = (2 * Math.PI * hz) / sampleRate;
  const cos = Math.cos(w);
  const alpha = Math.sin(w) / Math.SQRT2; // shelf slope 1
  const root = 2 * Math.sqrt(a) * alpha;
  const a0 = a + 1 - (a - 1) * cos + root;
  return [
    (a * (a + 1 + (a - 1) * cos + root)) / a0,
    (-2 * a * (a - 1 + (a + 1) * cos)) / a0,
    (a * (a + 1 + (a - 1) * cos - root)) / a0,
    (2 * (a - 1 - (a + 1) * cos)) / a0,
    (a + 1 - (a - 1) * cos - root) / a0,
  ];
}

function highPass(hz: number, q: number, sampleRate: number): Coefficients {
  const w = (2 * Math.PI * hz) / sampleRate;
  const cos = Math.cos(w);
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  return [(1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0];
}
