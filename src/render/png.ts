import { createRequire } from "node:module";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";

/**
 * SVG → PNG with a bundled font (DejaVu Sans from npm): resvg draws no text at all
 * without a font file, and a server may have no system fonts.
 */
const require = createRequire(import.meta.url);
const fontDir = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
export const FONT_FILES = [path.join(fontDir, "DejaVuSans.ttf"), path.join(fontDir, "DejaVuSans-Bold.ttf")];

export interface RenderedSvg {
  readonly png: Uint8Array;
  /** RGBA, row by row. */
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export function renderSvg(svg: string, width?: number): RenderedSvg {
  const image = new Resvg(svg, {
    background: "white",
    fitTo: width ? { mode: "width", value: width } : { mode: "original" },
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  }).render();
  return { png: image.asPng(), pixels: image.pixels, width: image.width, height: image.height };
}

export function svgToPng(svg: string, width?: number): Uint8Array {
  return renderSvg(svg, width).png;
}

/** Share of pixels that are clearly not white: 0 for a blank image. */
export function inkShare(image: RenderedSvg): number {
  let ink = 0;
  for (let i = 0; i < image.pixels.length; i += 4) {
    if ((image.pixels[i] ?? 255) + (image.pixels[i + 1] ?? 255) + (image.pixels[i + 2] ?? 255) < 600) ink++;
  }
  return ink / (image.width * image.height);
}

/** Width and height from a PNG's IHDR chunk (for tests and sanity checks). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
