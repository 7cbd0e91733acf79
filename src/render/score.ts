import { tonicName } from "../music/key.js";
import type { Tune } from "../music/tune.js";
import { engraveAbc, SCORE_FONT_FAMILY } from "./abcjs-dom.js";
import { renderSvg } from "./png.js";
import { barsPerLineFor, scoreAbc } from "./score-layout.js";

/**
 * Sizing for Discord, which shows an attachment inline scaled to roughly 400–550 px wide.
 * abcjs draws a staff space as ~7.75 units. Its default 740-unit staff would leave ~5 px per
 * staff space in a 500 px preview, where beams, dots and accidentals blur. A 540-unit staff
 * (570 with padding) gives ~6.8 px, and still holds the natural width of four bars of a
 * typical tune (measured on the corpus: median 493, 90th percentile 585 units with padding).
 * Busier lines, such as a reel's bars with first and second endings, widen the page (to about
 * 740 units) rather than overlap. The PNG is ~2x the page (1100 px) so the preview is always
 * downsampled, and the image is sharp when opened full size.
 */
const STAFF_WIDTH = 540;
const PADDING = 15;
export const DEFAULT_SCORE_WIDTH = 1100;

export interface ScoreOptions {
  /** Width of the PNG in pixels; the height follows from the music. */
  readonly width?: number;
  /** Bars per line of music; by default chosen from how busy the bars are. */
  readonly barsPerLine?: number;
}

export interface RenderedScore {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly svg: string;
  /** abcjs warnings while engraving (none for tunes Tunesmith writes). */
  readonly warnings: readonly string[];
}

/** Engraves a tune as sheet music: Tune → ABC → abcjs SVG → PNG on white. */
export function renderScore(tune: Tune, options: ScoreOptions = {}): RenderedScore {
  const abc = withSubtitle(scoreAbc(tune, options.barsPerLine ?? barsPerLineFor(tune)), keyAndMeter(tune));
  const engraved = engraveAbc(abc, {
    staffwidth: STAFF_WIDTH,
    paddingtop: PADDING,
    paddingbottom: PADDING,
    paddingleft: PADDING,
    paddingright: PADDING,
    // A line that cannot fit widens the score; lay every line out (and centre the title) at that width.
    expandToWidest: true,
    format: {
      titlefont: `"${SCORE_FONT_FAMILY}" 22`,
      subtitlefont: `"${SCORE_FONT_FAMILY}" 15`,
      tempofont: `"${SCORE_FONT_FAMILY}" 14`,
      repeatfont: `"${SCORE_FONT_FAMILY}" 13`,
      tripletfont: `"${SCORE_FONT_FAMILY}" 11`,
    },
  });
  const svg = onWhite(engraved.svg);
  const image = renderSvg(svg, options.width ?? DEFAULT_SCORE_WIDTH);
  return { png: image.png, width: image.width, height: image.height, svg, warnings: engraved.warnings };
}

/** "D major · 6/8": the key signature alone cannot tell a mode (A dorian vs. G major). */
function keyAndMeter(tune: Tune): string {
  return `${tonicName(tune.key.tonic)} ${tune.key.mode} · ${tune.meter.num}/${tune.meter.den}`;
}

/** A second T: line, which abcjs draws as a subtitle under the title. */
function withSubtitle(abc: string, subtitle: string): string {
  return abc.replace(/^T:.*$/m, (title) => `${title}\nT:${subtitle}`);
}

/** An explicit white page, so the SVG is on white wherever it is shown, not only in our PNG. */
function onWhite(svg: string): string {
  return svg.replace(
    /^<svg[^>]*>/,
    (open) => `${open}<rect width="100%" height="100%" fill="white" stroke="none"/>`,
  );
}
