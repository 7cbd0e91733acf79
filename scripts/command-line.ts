import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * parseArgs for our command lines. `--help` prints the script's own doc comment (its usage,
 * so it is written once), and a mistyped or unknown option ends the program with what was
 * wrong and that usage (exit code 2) instead of a stack trace.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  scriptUrl: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usageOf(scriptUrl));
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) throw e;
    const name = path.basename(fileURLToPath(scriptUrl), ".ts");
    console.error(`${name}: ${(e as Error).message}\n\n${usageOf(scriptUrl)}`);
    process.exit(2);
  }
}

/** The script's first doc comment, without its comment marks. */
export function usageOf(scriptUrl: string): string {
  const source = readFileSync(fileURLToPath(scriptUrl), "utf8");
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? "";
  return comment
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n")
    .trim();
}
