import { createHash } from "node:crypto";
import type { NewSubmission } from "../../src/store/submissions.js";

/**
 * Submission number n, the same in the writer and the checker. Sizes vary from about 1 KB
 * to 64 KB, so a write spans from one to many database pages and a kill can land inside one.
 */
export function submissionFor(n: number): NewSubmission {
  const size = 1024 + ((n * 7919) % 64) * 1024;
  const line = `|: d2f a2f | g2e f2d :| % submission ${n}\n`;
  const text = `X:${n}\nT:Kill Test ${n}\nM:6/8\nL:1/8\nK:D\n${line.repeat(Math.ceil(size / line.length))}`;
  return {
    guildId: "300000000000000001",
    userId: String(400_000_000_000_000_000n + BigInt(n)),
    title: `Kill Test ${n}`,
    notes: n % 3 === 0 ? null : `notes for ${n}`,
    fileName: `kill-${n}.abc`,
    original: new TextEncoder().encode(text),
    contentHash: createHash("sha256").update(`kill-test-${n}`).digest("hex"),
    tokens: ["<s>", "M:6/8", "K:major", ...String(n).split(""), "</s>"],
  };
}
