/**
 * Secrets stay out of the repository: .env (where the token lives) is ignored by git, the
 * example leaves the token empty, and no source, test or fixture holds anything shaped like
 * a Discord bot token except the obviously fake one the redaction tests use.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./bot/harness.js";

/** base64("123456789012345678").GhIjKl.secret-token-value_…: fake by construction. */
const KNOWN_FAKE = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-token-value_0123456789";
/** Discord bot tokens: base64 user id, a timestamp part, an HMAC part. */
const TOKEN_SHAPE = /[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}/g;
const SKIP = new Set([
  "node_modules",
  ".git",
  "data",
  "out",
  "models",
  "coverage",
  ".checkpoints",
  ".scratch",
]);

function* textFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const file = path.join(dir, name);
    const stat = statSync(file);
    if (stat.isDirectory()) yield* textFiles(file);
    else if (/\.(ts|js|mjs|cjs|json|md|abc|txt|ya?ml|sh)$|^\.env/.test(name) && stat.size < 2_000_000)
      yield file;
  }
}

describe("secrets in the repository", () => {
  it("ignores .env and ships an example without a token", () => {
    const ignored = readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8").split("\n");
    expect(ignored).toContain(".env");
    expect(readFileSync(path.join(REPO_ROOT, ".env.example"), "utf8")).toMatch(/^DISCORD_TOKEN=$/m);
  });

  it("has no token-shaped string in any source, test or fixture but the known fake", () => {
    const found: string[] = [];
    for (const file of textFiles(REPO_ROOT)) {
      if (path.basename(file) === ".env") continue; // the developer's own, ignored by git
      for (const match of readFileSync(file, "utf8").matchAll(TOKEN_SHAPE))
        if (match[0] !== KNOWN_FAKE)
          found.push(`${path.relative(REPO_ROOT, file)}: ${match[0].slice(0, 12)}…`);
    }
    expect(found).toEqual([]);
  });
});
