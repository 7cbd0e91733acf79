/**
 * `npm ci --omit=dev` installs only "dependencies" (and optional ones): a file the running
 * bot loads must not import a devDependency, or a production install fails to start (as it
 * did when tsx, which runs the TypeScript sources, was a devDependency).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { missingInProduction, runtimePackages, runtimeSpecifiers } from "./helpers/runtime-imports.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("runtime dependencies", () => {
  it("every package the bot, the workers and the scripts load at run time is a production dependency", () => {
    const uses = runtimePackages(ROOT);
    // The reading itself works: the runtime loads discord.js, and tsx for its TypeScript.
    expect(uses.map((u) => u.packageName)).toEqual(expect.arrayContaining(["discord.js", "tsx", "bullmq"]));
    expect(missingInProduction(ROOT, uses)).toEqual([]);
  });

  it("finds a devDependency however it is loaded, and leaves type-only imports alone", () => {
    const source = [
      'import type { APIEmbed } from "discord-api-types/v10";',
      'export type { Foo } from "typescript";',
      'import { type WebSocket } from "ws";',
      'import {\n  describe,\n  it,\n} from "vitest";',
      'import "@biomejs/biome";',
      'const a = await import("@types/node");',
      'const b = createRequire(import.meta.url).resolve("discord-api-types");',
      'import { Client } from "discord.js";',
    ].join("\n");
    const specifiers = runtimeSpecifiers(source);
    expect(specifiers.sort()).toEqual(
      ["@biomejs/biome", "@types/node", "discord-api-types", "discord.js", "vitest", "ws"].sort(),
    );
    const uses = specifiers.map((specifier) => ({ file: "x.ts", specifier, packageName: specifier }));
    expect(
      missingInProduction(ROOT, uses)
        .map((u) => u.packageName)
        .sort(),
    ).toEqual(["@biomejs/biome", "@types/node", "discord-api-types", "vitest", "ws"].sort());
  });
});
