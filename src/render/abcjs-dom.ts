import path from "node:path";
import abcjs, { type AbcVisualParams } from "abcjs";
// @ts-expect-error svgdom ships no type declarations; SvgdomModule below describes what we use.
import * as untypedSvgdom from "svgdom";
import { FONT_FILES } from "./png.js";

/**
 * abcjs is a browser library: it engraves into a DOM element and reaches for the globals
 * `window`, `document` and `navigator`. This adapter is the only place that knows: it gives
 * abcjs an svgdom document and installs those globals for the duration of one synchronous
 * engraving, then puts back whatever was there, so nothing leaks into the rest of the process.
 */

/** The part of svgdom (untyped, ESM-only) that we use. */
interface SvgdomModule {
  createHTMLWindow(): { readonly document: DomDocument };
  readonly Node: { readonly prototype: object };
  readonly config: {
    setFontDir(dir: string): unknown;
    setFontFamilyMappings(map: Record<string, string>): unknown;
    preloadFonts(): unknown;
  };
}

interface DomNode {
  innerHTML: string;
  readonly parentNode: DomNode | null;
  readonly nodeType: number;
  appendChild(child: DomNode): DomNode;
  removeChild(child: DomNode): DomNode;
}

interface DomDocument {
  readonly body: DomNode;
  createElement(name: string): DomNode;
}

const svgdom: SvgdomModule = untypedSvgdom;
const ELEMENT_NODE = 1;

// svgdom measures text (abcjs lays out titles and annotations with getBBox) with the font
// files it is given; measure with the DejaVu Sans that resvg will draw with, whatever family
// abcjs asks for, so the layout matches the picture.
const [regularFont = ""] = FONT_FILES;
const MEASURED_FAMILIES = [
  "DejaVu Sans",
  "sans-serif",
  "serif",
  "Times New Roman",
  "Times",
  "Helvetica",
  "Arial",
];
svgdom.config.setFontDir(path.dirname(regularFont));
svgdom.config.setFontFamilyMappings(
  Object.fromEntries(MEASURED_FAMILIES.map((family) => [family, path.basename(regularFont)])),
);
svgdom.config.preloadFonts();

// abcjs removes empty groups (e.g. a bar of invisible elements) through `parentElement`,
// which svgdom does not implement; without it such tunes crash mid-engraving.
if (!("parentElement" in svgdom.Node.prototype)) {
  Object.defineProperty(svgdom.Node.prototype, "parentElement", {
    configurable: true,
    get(this: DomNode): DomNode | null {
      return this.parentNode?.nodeType === ELEMENT_NODE ? this.parentNode : null;
    },
  });
}

/** The font family abcjs should name in the SVG: the one we bundle and draw with. */
export const SCORE_FONT_FAMILY = "DejaVu Sans";

export interface EngravedAbc {
  /** A standalone SVG document (with its namespace declared, as resvg requires). */
  readonly svg: string;
  /** abcjs parse warnings and engraving errors it would have logged to the console. */
  readonly warnings: readonly string[];
}

/** Engraves the first tune of `abc` to SVG. */
export function engraveAbc(abc: string, params: AbcVisualParams = {}): EngravedAbc {
  const { document } = svgdom.createHTMLWindow();
  const consoleErrors: string[] = [];
  const fakeWindow = {
    document,
    // abcjs reports a few internal layout failures with window.console.error.
    console: { error: (...args: unknown[]) => consoleErrors.push(args.map(String).join(" ")) },
  };
  const container = document.createElement("div");
  document.body.appendChild(container);
  const tunes = withGlobals(
    { window: fakeWindow, document, navigator: { userAgent: "node" } },
    // abcjs's Selector type names the DOM's Element, which this project's lib does not include.
    () => abcjs.renderAbc(container as Parameters<typeof abcjs.renderAbc>[0], abc, params),
  );
  const svg = container.innerHTML;
  if (!svg.startsWith("<svg")) throw new Error("abcjs produced no score (is there a K: line and music?)");
  return { svg: withSvgNamespace(svg), warnings: [...(tunes[0]?.warnings ?? []), ...consoleErrors] };
}

/** abcjs's parse warnings for the first tune of `abc`: empty when abcjs accepts it as written. */
export function abcjsWarnings(abc: string): string[] {
  return [...(abcjs.parseOnly(abc)[0]?.warnings ?? [])];
}

function withSvgNamespace(svg: string): string {
  return /^<svg[^>]*\sxmlns="/.test(svg)
    ? svg
    : svg.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
}

/** Runs `fn` with the given globals defined, restoring the previous ones (or their absence). */
function withGlobals<T>(globals: Record<string, unknown>, fn: () => T): T {
  const saved = Object.keys(globals).map(
    (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
  );
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  try {
    return fn();
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else Reflect.deleteProperty(globalThis, name);
    }
  }
}
