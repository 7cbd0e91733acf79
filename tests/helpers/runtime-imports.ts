/**
 * What the running bot loads, read from the sources: the files reachable from the entry
 * points `npm start`, `worker`, `start:sharded`, `retrain`, `deploy-commands` and `backup` run (plus
 * the composer threads and the commands, which are loaded by path), and every package
 * they load at run time. `import type` is erased and costs nothing; everything else,
 * `import { type X }` included (verbatimModuleSyntax keeps it), must be installed by
 * `npm ci --omit=dev`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";

export const RUNTIME_ENTRIES = [
  "src/bot/main.ts",
  "scripts/job-worker.ts",
  "scripts/start-sharded.ts",
  "scripts/retrain.ts",
  "scripts/deploy-commands.ts",
  "scripts/backup.ts",
  // Loaded by path, not by an import: a composer thread, and each slash command.
  "src/compose/composer-thread.ts",
];

export interface PackageUse {
  readonly file: string;
  readonly specifier: string;
  readonly packageName: string;
}

const STATIC = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^\s*import\s*["']([^"']+)["']/gm;
// import("x"), require("x"), require.resolve("x"), createRequire(…).resolve("x"), import.meta.resolve("x")
const LOADED =
  /(?:\bimport|\brequire|\brequire\.resolve|\)\.resolve|import\.meta\.resolve)\(\s*["']([^"']+)["']/g;

/** The specifiers a source file loads at run time (type-only imports left out). */
export function runtimeSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(STATIC)) if (!m[2]) found.push(m[4] as string);
  for (const m of source.matchAll(SIDE_EFFECT)) found.push(m[1] as string);
  for (const m of source.matchAll(LOADED)) found.push(m[1] as string);
  return found;
}

export function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

const isBuiltin = (specifier: string) =>
  specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0] as string);

/** Every package loaded by the files reachable from `entries` (relative imports followed). */
export function runtimePackages(
  root: string,
  entries: readonly string[] = defaultEntries(root),
): PackageUse[] {
  const seen = new Set<string>();
  const uses: PackageUse[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const specifier of runtimeSpecifiers(source)) {
      if (specifier.startsWith(".")) {
        const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, ".ts");
        if (existsSync(target)) visit(target);
        else if (!existsSync(path.resolve(path.dirname(file), specifier)))
          throw new Error(`${path.relative(root, file)} imports ${specifier}, which does not exist`);
      } else if (!isBuiltin(specifier)) {
        uses.push({ file: path.relative(root, file), specifier, packageName: packageNameOf(specifier) });
      }
    }
  };
  for (const entry of entries) visit(path.resolve(root, entry));
  return uses;
}

function defaultEntries(root: string): string[] {
  const commands = readdirSync(path.join(root, "commands"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join("commands", f));
  return [...RUNTIME_ENTRIES, ...commands];
}

/** The runtime loads that `npm ci --omit=dev` would not install: devDependencies or undeclared packages. */
export function missingInProduction(root: string, uses: readonly PackageUse[]): PackageUse[] {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const installed = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  return uses.filter((use) => !installed.has(use.packageName));
}
