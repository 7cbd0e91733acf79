import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const depcruise = path.join(root, "node_modules", ".bin", "depcruise");

/** A throwaway tree with the project's rules and one import each test chooses. */
const dir = mkdtempSync(path.join(tmpdir(), "tunesmith-lint-"));
copyFileSync(path.join(root, ".dependency-cruiser.cjs"), path.join(dir, ".dependency-cruiser.cjs"));
writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext" } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(relative: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
  writeFileSync(path.join(dir, relative), text);
}

async function lint(): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(depcruise, ["src", "--config", ".dependency-cruiser.cjs"], { cwd: dir });
    return { ok: true, output: stdout };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("npm run lint's dependency rules", () => {
  it("pass the allowed direction and fail a forbidden import, naming the rule", async () => {
    file("src/bot/reply.ts", 'import { tune } from "../music/tune.js";\nexport const reply = tune;\n');
    file("src/music/tune.ts", "export const tune = 1;\n");
    expect((await lint()).ok).toBe(true);

    file("src/music/tune.ts", 'import "../bot/reply.js";\nexport const tune = 1;\n');
    const result = await lint();
    expect(result.ok).toBe(false);
    expect(result.output).toContain("music-is-the-base");
    expect(result.output).toContain("no-cycles");
  });

  const forbiddenImports = [
    {
      what: "keep Discord out of the composition service",
      base: ["src/music/tune.ts", "export const tune = 1;\n"],
      forbidden: ["src/compose/generate.ts", 'import "../bot/reply.js";\n'],
      rule: "compose-and-store-know-no-discord",
    },
    {
      what: "keep the model versions free of the bot and the service that use them",
      base: ["src/compose/generate.ts", "export const generate = 1;\n"],
      forbidden: ["src/versions/active-model.ts", 'import "../bot/reply.js";\n'],
      rule: "versions-serve-everyone",
    },
  ];
  for (const { what, base, forbidden, rule } of forbiddenImports)
    it(what, async () => {
      file(base[0] as string, base[1] as string);
      file(forbidden[0] as string, forbidden[1] as string);
      const result = await lint();
      expect(result.ok).toBe(false);
      expect(result.output).toContain(rule);
    });
});
