import { describe, expect, it } from "vitest";
import { lossCurveSvg } from "../src/render/loss-curve.js";
import { inkShare, pngSize, renderSvg } from "../src/render/png.js";

const svg = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100">${body}</svg>`;

describe("SVG to PNG", () => {
  it("draws text with the bundled font (resvg drops text without one)", () => {
    expect(inkShare(renderSvg(svg("")))).toBe(0);
    expect(inkShare(renderSvg(svg('<text x="10" y="60" font-size="40">Tunesmith</text>')))).toBeGreaterThan(
      0.02,
    );
  });

  it("renders the loss curve with escaped title at its size", () => {
    const points = [0, 1, 2, 3].map((epoch) => ({
      epoch,
      train: 3 - epoch * 0.5,
      validation: 3.1 - epoch * 0.4,
    }));
    const curve = lossCurveSvg(points, "Test & <run>");
    expect(curve).toContain("Test &amp; &lt;run&gt;");
    const image = renderSvg(curve);
    expect(pngSize(image.png)).toEqual({ width: 720, height: 420 });
    expect(inkShare(image)).toBeGreaterThan(0.01);
  });
});
