/**
 * The README's "Architecture" block is the map of the tree: every folder with one line
 * saying what it holds, and every file of src/, commands/, scripts/ and bench/ as it is
 * named now. This test reads the block as a tree (two spaces of indent a level; a line
 * indented to the description column continues the one above) and compares it with the
 * disk both ways, so a file added, renamed or deleted without the README fails here.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
/** Folders whose every file the block lists. */
const FILES_LISTED = ["src", "commands", "scripts", "bench"];
/** Folders whose every subfolder the block lists (with their files when they are in FILES_LISTED). */
const FOLDERS_LISTED = [...FILES_LISTED, "models", "tests", "deploy"];
/** Names start before this column; a line indented this far only continues a description. */
const DESCRIPTION_COLUMN = 30;

interface ArchitectureEntry {
  /** Relative to the repository root; folders end in "/". */
  readonly path: string;
  readonly description: string;
  readonly line: number;
}

/** The entries of the first fenced block after "## Architecture". */
function readArchitecture(readme: string): ArchitectureEntry[] {
  const lines = readme.split("\n");
  const heading = lines.findIndex((l) => l.trim() === "## Architecture");
  if (heading < 0) throw new Error('the README has no "## Architecture" section');
  const open = lines.findIndex((l, i) => i > heading && l.startsWith("```"));
  const close = lines.findIndex((l, i) => i > open && l.startsWith("```"));
  if (open < 0 || close < 0) throw new Error("the Architecture section has no fenced block");
  const entries: ArchitectureEntry[] = [];
  /** The folder open at each depth. */
  const folders: string[] = [];
  for (let i = open + 1; i < close; i++) {
    const text = lines[i] as string;
    if (text.trim() === "") continue;
    const indent = text.length - text.trimStart().length;
    if (indent >= DESCRIPTION_COLUMN) continue;
    const match = /^(\S+)(?: {2,}(.*))?$/.exec(text.trim());
    if (!match || indent % 2 !== 0)
      throw new Error(`README line ${i + 1} is neither an entry nor a continuation: "${text}"`);
    const depth = indent / 2;
    if (depth > folders.length)
      throw new Error(`README line ${i + 1} is indented below no folder: "${text}"`);
    folders.length = depth;
    const name = match[1] as string;
    const full = [...folders, name].join("");
    entries.push({ path: full, description: (match[2] ?? "").trim(), line: i + 1 });
    if (name.endsWith("/")) folders.push(name);
  }
  return entries;
}

/** Files (not dot files) and folders under `dir`, relative to the root; folders end in "/". */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir)).sort()) {
    if (name.startsWith(".")) continue;
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(`${rel}/`, ...walk(rel));
    else out.push(rel);
  }
  return out;
}

const entries = readArchitecture(readFileSync(path.join(ROOT, "README.md"), "utf8"));
const listed = new Set(entries.map((e) => e.path));

describe("the README's architecture block", () => {
  it("lists every folder of the tree, each with a line saying what it holds", () => {
    const folders = FOLDERS_LISTED.flatMap((top) => [`${top}/`, ...walk(top).filter((p) => p.endsWith("/"))]);
    expect(folders.filter((f) => !listed.has(f))).toEqual([]);
    const undescribed = entries.filter((e) => e.path.endsWith("/") && e.description === "");
    expect(undescribed.map((e) => e.path)).toEqual([]);
  });

  it("lists every file of src/, commands/, scripts/ and bench/ by its current name", () => {
    const files = FILES_LISTED.flatMap((top) => walk(top).filter((p) => !p.endsWith("/")));
    expect(files.filter((f) => !listed.has(f))).toEqual([]);
  });

  it("names nothing that does not exist, and nothing twice", () => {
    const missing = entries.filter((e) => {
      try {
        return statSync(path.join(ROOT, e.path)).isDirectory() !== e.path.endsWith("/");
      } catch {
        return true;
      }
    });
    expect(missing.map((e) => `line ${e.line}: ${e.path}`)).toEqual([]);
    const seen = entries.map((e) => e.path);
    expect(seen.filter((p, i) => seen.indexOf(p) !== i)).toEqual([]);
  });

  it("is read as a tree: nested folders and continued descriptions; a misplaced line is refused", () => {
    const block = (body: string) => `# T\n\n## Architecture\n\n\`\`\`\n${body}\`\`\`\n`;
    expect(
      readArchitecture(
        block(
          "src/                          the code\n  a.ts                        one file\n" +
            "                              its description, continued\n  music/                      notes\n" +
            "    tune.ts                   a tune\ncommands/                     commands\n",
        ),
      ).map((e) => e.path),
    ).toEqual(["src/", "src/a.ts", "src/music/", "src/music/tune.ts", "commands/"]);
    expect(() => readArchitecture(block("src/  the code\n    deep.ts  too deep\n"))).toThrow(
      /indented below no folder/,
    );
    expect(() => readArchitecture(block("src/  the code\n   odd.ts  odd indent\n"))).toThrow(
      /neither an entry/,
    );
  });
});

describe("file names under src/", () => {
  it("are each used once, so a name tells what a file is without its folder", () => {
    const names = walk("src")
      .filter((p) => !p.endsWith("/"))
      .map((p) => path.basename(p));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
