import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "./context.js";

/** The repository's commands/ directory: one module per slash command. */
export const COMMANDS_DIR = fileURLToPath(new URL("../../commands/", import.meta.url));

function isCommand(value: unknown): value is Command {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Partial<Command>;
  return (
    typeof m.data === "object" &&
    m.data !== null &&
    typeof m.data.name === "string" &&
    typeof m.data.toJSON === "function" &&
    typeof m.execute === "function" &&
    (m.autocomplete === undefined || typeof m.autocomplete === "function") &&
    (m.buttonPrefix === undefined) === (m.press === undefined) &&
    (m.preconditions === undefined ||
      (Array.isArray(m.preconditions) && m.preconditions.every((p) => typeof p === "function")))
  );
}

const MODULE = /^(?!.*\.(d|test)\.[cm]?[jt]s$).*\.[cm]?[jt]s$/;

/**
 * Imports every module in `dir` and keeps those shaped like a Command, keyed by name,
 * in file order. A module that is not a command, or a clash of names or button
 * prefixes, is a programming error and stops the start.
 */
export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, Command>> {
  const files = (await readdir(dir)).filter((f) => MODULE.test(f)).sort();
  const commands = new Map<string, Command>();
  const prefixes = new Set<string>();
  for (const file of files) {
    const module: unknown = await import(pathToFileURL(path.join(dir, file)).href);
    if (!isCommand(module))
      throw new Error(`${file} in ${dir} does not export a command (data: SlashCommandBuilder, execute)`);
    const name = module.data.name;
    if (commands.has(name)) throw new Error(`two commands are named /${name} (${file})`);
    if (module.buttonPrefix !== undefined) {
      if (prefixes.has(module.buttonPrefix))
        throw new Error(`button prefix ${module.buttonPrefix} is used twice (${file})`);
      prefixes.add(module.buttonPrefix);
    }
    commands.set(name, module);
  }
  return commands;
}

/** What deploy-commands registers: exactly the loaded handlers' definitions. */
export function commandDefinitions(commands: ReadonlyMap<string, Command>) {
  return [...commands.values()].map((c) => c.data.toJSON());
}
