import { describe, expect, it } from "vitest";
import { parseAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import type { Tune } from "../../src/music/tune.js";
import { abcjsWarnings } from "../../src/render/abcjs-dom.js";
import { inkShare, pngSize, type RenderedSvg, renderSvg } from "../../src/render/png.js";
import { DEFAULT_SCORE_WIDTH, renderScore } from "../../src/render/score.js";
import { barsPerLineFor, scoreAbc } from "../../src/render/score-layout.js";

const tune = (title: string, body: string, header = "M:4/4\nL:1/8\nK:D"): Tune =>
  parseAbc(`X:1\nT:${title}\n${header}\n${body}\n`);

const REEL_BODY = `|:A2FA DAFA|B2GB dBGB|A2FA DAFA|BAGF EFGE|
A2FA DAFA|B2GB dBGB|ABde fdec|1 dBAF D2FE:|2 dBAF D2de||
|:fdad fdad|gbeg fdd2|fdad fded|cABc e2de|
fdad fdad|gbeg fdde|fbag fded|1 cABc d2de:|2 cABc d2z2|]`;
const reel = tune("Sixteen Bar Reel", REEL_BODY);

/** Pickup, triplets, a tie across the bar, rests, voltas and a 6/8 time signature. */
const ODD = `A|:d(3fed c2A|B2z d2e-|efd e2d|1 cBA A2G:|2 cBA d2z||`;
const odd = tune("Odd One", ODD, "M:6/8\nL:1/8\nK:G");

const browserGlobals = () =>
  ["window", "document", "navigator"].map((name) => Object.hasOwn(globalThis, name));
/** Taken before any test engraves (abcjs needs these globals while it draws). */
const browserGlobalsAtStart = browserGlobals();

/** Ink in the rows between two fractions of the image height. */
function inkInBand(image: RenderedSvg, from: number, to: number): number {
  const rows = { start: Math.floor(image.height * from), end: Math.floor(image.height * to) };
  const band = image.pixels.subarray(rows.start * image.width * 4, rows.end * image.width * 4);
  return inkShare({ ...image, pixels: band, height: rows.end - rows.start });
}

describe("score image", () => {
  it("is a PNG of the stated size, about as tall as wide for 16 bars", () => {
    const score = renderScore(reel);
    expect([...score.png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngSize(score.png)).toEqual({ width: score.width, height: score.height });
    expect(score.width).toBe(DEFAULT_SCORE_WIDTH);
    expect(score.height / score.width).toBeGreaterThan(0.4);
    expect(score.height / score.width).toBeLessThan(1.2);
    expect(score.warnings).toEqual([]);
  });

  it("draws music in black on a white page", () => {
    const image = renderSvg(renderScore(reel).svg, 600);
    expect(inkShare(image)).toBeGreaterThan(0.03);
    expect(inkShare(image)).toBeLessThan(0.4);
    // White background: the corners are white.
    expect([...image.pixels.subarray(0, 3)]).toEqual([255, 255, 255]);
    expect(renderScore(reel).svg).toContain('fill="white"');
  });

  it("draws the title and the key and meter as text with the bundled font", () => {
    const { svg } = renderScore(reel);
    expect(svg).toMatch(/<text[^>]*data-name="title"[^>]*><tspan[^>]*>Sixteen Bar Reel</);
    expect(svg).toContain("D major · 4/4");
    expect(svg).toContain('font-family="DejaVu Sans"');

    // A long title puts clearly more ink in the header band than a one-letter one.
    const header = (title: string) =>
      inkInBand(renderSvg(renderScore(tune(title, REEL_BODY)).svg, 600), 0, 0.1);
    expect(header("A Rather Long Title For The Ink Test")).toBeGreaterThan(header("I") + 0.02);

    // The text elements alone, without the music, still put ink on the page.
    const texts = svg.match(/<text[\s\S]*?<\/text>/g) ?? [];
    expect(texts.length).toBeGreaterThanOrEqual(2);
    const size = /<svg[^>]*?width="([\d.]+)" height="([\d.]+)"/.exec(svg);
    const textOnly = `<svg xmlns="http://www.w3.org/2000/svg" width="${size?.[1]}" height="${size?.[2]}">${texts.join("")}</svg>`;
    expect(inkShare(renderSvg(textOnly))).toBeGreaterThan(0.005);
  });

  it("draws the chord symbols above the staff", () => {
    const withChords = tune("Chorded", '"D"A2FA DAFA|"G"B2GB "A7"dBGB|"D"A4 D4|]');
    const { svg, warnings } = renderScore(withChords);
    expect(warnings).toEqual([]);
    const chordTexts = [...svg.matchAll(/<text[^>]*>(?:<tspan[^>]*>)?(D|G|A7)</g)].map((m) => m[1]);
    expect(chordTexts).toEqual(["D", "G", "A7", "D"]);
    expect(renderScore(tune("Bare", "A2FA DAFA|B2GB dBGB|A4 D4|]")).svg).not.toMatch(/>A7</);
  });

  it("makes a 64-bar tune taller, not narrower", () => {
    const short = renderScore(reel);
    const long = renderScore(tune("Long", `${REEL_BODY}\n${REEL_BODY}\n${REEL_BODY}\n${REEL_BODY}`));
    expect(long.width).toBe(short.width);
    expect(long.height).toBeGreaterThan(short.height * 3);
    expect(long.warnings).toEqual([]);
  });

  it("engraves a pickup, triplets, ties, rests and endings without abcjs warnings", () => {
    expect(abcjsWarnings(tuneToAbc(odd))).toEqual([]);
    const score = renderScore(odd);
    expect(score.warnings).toEqual([]);
    expect(score.svg).toMatch(/data-name="3"/); // the triplet's number
    expect(score.svg).toMatch(/data-name="1"[\s\S]*data-name="2"/); // the volta numbers
    expect(inkShare(renderSvg(score.svg, 600))).toBeGreaterThan(0.02);
  });

  it("engraves a volta that starts inside a bar (abcjs then removes an empty SVG group)", () => {
    const midBar = tune("Mid-bar Volta", "F2D DFD|Bcd edc[1 d2B A2G:|[2 d2z d2z||", "M:6/8\nL:1/8\nK:D");
    expect(renderScore(midBar).warnings).toEqual([]);
  });

  it("reports abcjs warnings for ABC it cannot draw as written", () => {
    expect(abcjsWarnings("X:1\nT:t\nM:6/8\nL:1/8\nK:A\ne/2a9/2f gee|\n").length).toBeGreaterThan(0);
  });

  it("leaves no browser globals behind", () => {
    renderScore(odd);
    expect(browserGlobals()).toEqual(browserGlobalsAtStart);
  });
});

describe("score line breaks", () => {
  const bodyLines = (abc: string) =>
    abc
      .slice(abc.search(/^K:.*$/m))
      .split("\n")
      .slice(1, -1);

  it("puts four bars of a reel on each line, voltas with their section", () => {
    expect(barsPerLineFor(reel)).toBe(4);
    const lines = bodyLines(scoreAbc(reel, 4));
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/\[1 .*:\|\[2 .*\|\|$/);
    expect(lines[2]).toMatch(/^\|:/);
    // The same music as the writer's own layout, only broken differently.
    expect(lines.join(" ").replace(/\s+/g, "")).toBe(
      bodyLines(tuneToAbc(reel)).join(" ").replace(/\s+/g, ""),
    );
  });

  it("does not count a pickup as a bar and never ends a line before an ending", () => {
    const lines = bodyLines(scoreAbc(odd, 2));
    expect(lines[0]).toMatch(/^A \|: .* \| .* \|$/); // pickup + 2 full bars
    for (const line of lines) expect(line).not.toMatch(/^\[/);
  });

  it("fits more bars of sparse music and fewer of busy music on a line", () => {
    const air = tune("Air", "D2 G2 A2|B4 A2|G2 E2 D2|G6|".repeat(4), "M:3/4\nL:1/8\nK:G");
    expect(barsPerLineFor(air)).toBe(8);
    const busy = tune("Busy", "d/e/f/g/ a/b/a/g/ f/e/d/c/ B/A/G/F/|".repeat(8));
    expect(barsPerLineFor(busy)).toBe(2);
  });
});
