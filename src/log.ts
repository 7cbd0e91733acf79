/**
 * Logging with pino. Secrets are scrubbed from every line twice over:
 *  (a) pino `redact` censors well-known secret fields (token, password, authorization, ...);
 *  (b) the `streamWrite` hook replaces the literal values of known secrets (the Discord token
 *      plus `options.secrets`) anywhere in the serialized line: messages, error stacks,
 *      nested objects, child bindings.
 * Pretty output is produced in the main thread from the already-scrubbed JSON line (no worker
 * transport), synchronously, so (b) applies to it too and no line is lost on process.exit.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import { prettyFactory } from "pino-pretty";
import { config, knownSecrets } from "./config.js";

export const REDACTED = "[redacted]";

/** Secrets shorter than this are ignored, so a tiny value cannot shred every log line. */
export const MIN_SECRET_LENGTH = 8;

export const REDACT_PATHS = [
  "token",
  "*.token",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "DISCORD_TOKEN",
  "*.DISCORD_TOKEN",
  "discordToken",
  "*.discordToken",
  "config.discordToken",
];

/**
 * The strings to look for: each usable secret plus its JSON-escaped form (which is how it
 * appears inside a serialized line if it contains quotes, backslashes or control characters),
 * longest first so a secret containing another is replaced whole.
 */
function needles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out.add(secret);
    out.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function replaceAll(text: string, found: readonly string[]): string {
  let result = text;
  for (const needle of found) {
    if (result.includes(needle)) result = result.split(needle).join(REDACTED);
  }
  return result;
}

/** Replaces every occurrence of each secret (of at least MIN_SECRET_LENGTH characters) with "[redacted]". */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return replaceAll(text, needles(secrets));
}

export interface LoggerOptions {
  /** pino level; default "info". */
  level?: string;
  /** Human-readable output via pino-pretty instead of JSON lines; default false. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
  /** Extra literal values to scrub, in addition to the Discord token from the environment. */
  secrets?: string[];
}

/** A synchronous pretty-printing destination fed with pino's JSON lines. */
function prettyDestination(out: NodeJS.WritableStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
  return {
    write(line: string) {
      out.write(prettify(line));
    },
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const found = needles([...knownSecrets(), ...(options.secrets ?? [])]);
  const pretty = options.pretty ?? false;
  const out = options.destination ?? process.stdout;
  let destination: DestinationStream | NodeJS.WritableStream;
  if (pretty) {
    const colorize = options.destination === undefined && process.stdout.isTTY === true;
    destination = prettyDestination(out, colorize);
  } else {
    destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  }
  return pino(
    {
      level: options.level ?? "info",
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: found.length > 0 ? { streamWrite: (line) => replaceAll(line, found) } : {},
    },
    destination,
  );
}

let instance: Logger | undefined;

/** The process logger, built from config() on first use. */
export function getLog(): Logger {
  if (instance === undefined) {
    const cfg = config();
    instance = createLogger({
      level: cfg.logLevel,
      pretty: process.stdout.isTTY === true && cfg.nodeEnv !== "production",
    });
  }
  return instance;
}

/** The process logger; built lazily (reads config on first use, not on import). */
export const log: Logger = new Proxy({} as Logger, {
  get(_target, prop) {
    const real = getLog();
    const value: unknown = Reflect.get(real, prop, real);
    return typeof value === "function" ? value.bind(real) : value;
  },
  set(_target, prop, value) {
    return Reflect.set(getLog(), prop, value);
  },
  has(_target, prop) {
    return Reflect.has(getLog(), prop);
  },
});
