/** `npm run worker` refuses to start without REDIS_URL and says what it is for. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startScript, WORKER_SCRIPT } from "./processes.js";

const dataDir = mkdtempSync(path.join(tmpdir(), "tunesmith-worker-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("npm run worker", () => {
  it("without REDIS_URL exits 1 and explains that the bot composes by itself then", async () => {
    const worker = startScript(WORKER_SCRIPT, [], { DATA_DIR: dataDir, REDIS_URL: "" });
    expect(await worker.exit).toEqual({ code: 1, signal: null });
    const text = worker.other.join("");
    expect(text).toContain("set REDIS_URL");
    expect(text).toContain("Without REDIS_URL the bot composes in its own process");
  });
});
