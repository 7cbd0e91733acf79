/**
 * The Discord side of `npm run bench -- load`, on its own worker thread so that its work
 * (HTTP parsing, multipart uploads, gateway frames) does not count against the bot's event
 * loop. Starts the emulator, then on "run" has `users` users issue /compose spread over
 * `spreadMs`, and reports what each one saw, timed by the emulator's clock.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import { DiscordEmulator, type InteractionHandle } from "../tests/discord/emulator.js";

export interface RunOrder {
  readonly type: "run";
  readonly users: number;
  readonly bars: number;
  readonly spreadMs: number;
  /** Give up on an interaction that has no final answer after this long. */
  readonly timeoutMs: number;
}

export type Outcome = "completed" | "busy" | "failed" | "lost";

export interface Seen {
  readonly outcome: Outcome;
  /** ms from dispatch to the deferral (undefined: none). */
  readonly deferMs: number | undefined;
  /** ms from dispatch to the final answer (tune or refusal). */
  readonly finalMs: number | undefined;
  /** Dispatch time, ms since the first dispatch. */
  readonly startMs: number;
  readonly detail?: string;
}

export type EmulatorMessage =
  | { readonly type: "ready"; readonly apiUrl: string; readonly token: string; readonly guildId: string }
  | { readonly type: "done"; readonly seen: Seen[]; readonly emulatorLoopP99Ms: number };

const port = parentPort;
if (!port) throw new Error("bench/load-emulator.ts runs as a worker thread");

// Discord's own windows: 3 s for the deferral (enforced), 15 min for the token.
const emulator = await new DiscordEmulator().start();
port.postMessage({
  type: "ready",
  apiUrl: emulator.apiUrl,
  token: emulator.botToken,
  guildId: emulator.guildId,
} satisfies EmulatorMessage);

port.on("message", (order: RunOrder) => {
  if (order.type === "run") void run(order);
});

async function run(order: RunOrder): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  const pending: Promise<Seen>[] = [];
  for (let i = 0; i < order.users; i++) {
    const due = started + (i * order.spreadMs) / order.users;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = performance.now() - started;
    const user = { id: String(500_000_000_000_000_000n + BigInt(i)), username: `player${i}` };
    const handle = emulator.slash("compose", { options: { bars: order.bars }, user });
    pending.push(follow(handle, at, order.timeoutMs));
  }
  const seen = await Promise.all(pending);
  loop.disable();
  port?.postMessage({
    type: "done",
    seen,
    emulatorLoopP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 10),
  } satisfies EmulatorMessage);
}

/** Waits for the interaction's final answer and classifies it. */
async function follow(handle: InteractionHandle, startMs: number, timeoutMs: number): Promise<Seen> {
  try {
    return await handle.waitFor(
      "a final answer",
      () => {
        const deferMs = handle.callbacks[0]?.at;
        const tune = handle.seen.find((s) => s.files.some((f) => f.name === "tune.abc"));
        if (tune)
          return {
            outcome: deferMs !== undefined && deferMs <= 3000 ? "completed" : "lost",
            deferMs,
            finalMs: tune.at,
            startMs,
          };
        const refusal = handle.seen.find((s) => s.ephemeral && s.content !== "");
        if (refusal) {
          const busy = /very busy/.test(refusal.content);
          return {
            outcome: busy ? "busy" : "failed",
            deferMs,
            finalMs: refusal.at,
            startMs,
            detail: refusal.content,
          };
        }
        const refused = handle.rejected[0];
        // Discord refused the bot (a late deferral, an expired token): the user saw nothing.
        if (refused)
          return {
            outcome: "lost",
            deferMs,
            finalMs: undefined,
            startMs,
            detail: `${refused.what} ${refused.code}`,
          };
        return undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    return {
      outcome: "lost",
      deferMs: handle.callbacks[0]?.at,
      finalMs: undefined,
      startMs,
      detail: error instanceof Error ? error.message.slice(0, 200) : String(error),
    };
  }
}
