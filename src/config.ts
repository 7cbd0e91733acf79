/**
 * The one module that reads the environment. `loadConfig` is pure: it validates a plain env
 * object and returns typed settings, or throws one `ConfigError` listing every bad variable.
 * `config()` loads `.env` (via dotenv) into process.env once and validates that.
 */
import path from "node:path";
import dotenv from "dotenv";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ["development", "production", "test"] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
export const TF_BACKENDS = ["auto", "node", "wasm", "cpu"] as const;
export type TfBackend = (typeof TF_BACKENDS)[number];
export const WORKER_JOBS = ["compose", "retrain"] as const;
export type WorkerJob = (typeof WORKER_JOBS)[number];

export interface Config {
  /** Bot token. Optional here: only the bot requires it. Never log or echo it. */
  readonly discordToken: string | undefined;
  readonly discordClientId: string | undefined;
  readonly discordGuildId: string | undefined;
  /** Override for the Discord REST base URL (http or https). */
  readonly discordApiUrl: string | undefined;
  /** Absolute path. */
  readonly dataDir: string;
  /** Absolute path. */
  readonly modelDir: string;
  readonly logLevel: LogLevel;
  readonly nodeEnv: NodeEnv;
  readonly tfBackend: TfBackend;
  readonly adminUserIds: readonly string[];
  readonly adminRoleIds: readonly string[];
  readonly composeConcurrency: number;
  /** Seconds a user waits between two compositions. */
  readonly composeCooldownSeconds: number;
  readonly maxAttachmentBytes: number;
  readonly maxSeedNotes: number;
  /** Most bars read from a seed or a submission. */
  readonly maxSeedBars: number;
  /** Most bars one /compose may ask for (at most 64, what the slash command offers). */
  readonly maxRequestBars: number;
  /** Sampling budget per bar asked for: bounds the work of one generation. */
  readonly maxTokensPerBar: number;
  /** Attachments downloaded at once; more wait for a slot (within the download timeout). */
  readonly maxConcurrentDownloads: number;
  /** Compositions waiting for a composer thread; more are refused with a busy message. */
  readonly composeMaxQueue: number;
  /** Heap limit (MB) of each composer thread: a runaway request ends its thread, not the bot. */
  readonly composeWorkerHeapMb: number;
  /** Absolute path of the base corpus: replayed during retraining and the check against forgetting. */
  readonly corpusDir: string;
  /** Model versions kept on disk besides the active one and its rollback targets (older ones are deleted). */
  readonly modelKeepVersions: number;
  /** Fine-tuning steps of a retraining run when the admin gives none. */
  readonly retrainSteps: number;
  /** How much worse (bits/note) a retrained model may get on the base corpus and still be promoted. */
  readonly retrainToleranceBits: number;
  /** Sequences per training step of a retraining run. */
  readonly retrainBatchSize: number;
  /** Tokens per sequence (truncated backpropagation window) of a retraining run. */
  readonly retrainSeqLen: number;
  /** Redis for the job queue (BullMQ) and worker processes; unset = everything in this process. */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  readonly redisPrefix: string;
  /** How long a worker's claim on a job lasts without renewal: a dead worker's job is retried after about this. */
  readonly jobLockMs: number;
  /** Which jobs `npm run worker` takes: compose (and render) jobs, retraining jobs, or both. */
  readonly workerJobs: readonly WorkerJob[];
  /** How often to look for a model version activated elsewhere (s); 0 = only when told (pub/sub, /admin). */
  readonly modelPollSeconds: number;
  /** Gateway shards for `npm run start:sharded`: a number, or "auto" (Discord's recommendation). */
  readonly totalShards: number | "auto";
  /** Days an uploaded seed is kept (for its tune's buttons); older ones are pruned every hour. */
  readonly seedRetentionDays: number;
  /** Port of the /healthz and /readyz endpoints; unset = none. */
  readonly healthPort: number | undefined;
  /** Address they listen on. */
  readonly healthHost: string;
}

/** Every invalid variable, reported together. `problems` holds one line per variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    const noun = problems.length === 1 ? "problem" : "problems";
    super(
      `Invalid configuration (${problems.length} ${noun}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Thrown by a parser; `problem` follows `NAME="value" ` in the final message. */
class Invalid extends Error {}

type Parser<T> = (raw: string) => T;

interface Field<T> {
  readonly env: string;
  readonly parse: Parser<T>;
  /** Used when the variable is unset or empty. */
  readonly fallback: T;
}

const SNOWFLAKE = /^\d{17,20}$/;
const SNOWFLAKE_FORM = "a Discord ID (snowflake) of 17-20 digits";

const text: Parser<string> = (raw) => raw;

function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return (raw) => {
    if ((values as readonly string[]).includes(raw)) return raw as T[number];
    throw new Invalid(`is not one of ${values.join(", ")}`);
  };
}

const snowflake: Parser<string> = (raw) => {
  if (SNOWFLAKE.test(raw)) return raw;
  throw new Invalid(`is not ${SNOWFLAKE_FORM}`);
};

const snowflakeList: Parser<readonly string[]> = (raw) => {
  const ids = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = ids.filter((id) => !SNOWFLAKE.test(id));
  if (bad.length > 0) {
    throw new Invalid(
      `has invalid entries ${bad.map((b) => JSON.stringify(b)).join(", ")}; expected a comma-separated list of ${SNOWFLAKE_FORM}`,
    );
  }
  return [...new Set(ids)];
};

function int(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const form = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return (raw) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    throw new Invalid(`is not ${form}`);
  };
}

/** `raw` as a URL of one of `protocols`; `expected` says what a good value looks like, for each refusal. */
function urlOf(
  raw: string,
  protocols: readonly string[],
  expected: { readonly url: string; readonly protocol: string },
): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Invalid(`is not a URL; expected ${expected.url}`);
  }
  if (!protocols.includes(url.protocol))
    throw new Invalid(`has protocol ${url.protocol}; expected ${expected.protocol}`);
  return url;
}

const httpUrl: Parser<string> = (raw) => {
  const expected = "an http:// or https:// URL";
  urlOf(raw, ["http:", "https:"], { url: expected, protocol: expected });
  return raw;
};

const redisUrl: Parser<string> = (raw) => {
  const url = urlOf(raw, ["redis:", "rediss:"], {
    url: "redis://[:password@]host[:port][/db] or rediss://…",
    protocol: "a redis:// or rediss:// URL",
  });
  if (url.hostname === "") throw new Invalid("has no host; expected redis://host:port");
  return raw;
};

const keyPrefix: Parser<string> = (raw) => {
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) return raw;
  throw new Invalid("is not 1-64 letters, digits, '_', '.' or '-'");
};

const workerJobs: Parser<readonly WorkerJob[]> = (raw) => {
  const jobs = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = jobs.filter((j) => !(WORKER_JOBS as readonly string[]).includes(j));
  if (bad.length > 0 || jobs.length === 0)
    throw new Invalid(`is not a comma-separated list of ${WORKER_JOBS.join(", ")}`);
  return [...new Set(jobs)] as WorkerJob[];
};

const shardCount: Parser<number | "auto"> = (raw) => {
  if (raw === "auto") return "auto";
  return int(1, 10_000)(raw);
};

function decimal(min: number, max: number): Parser<number> {
  return (raw) => {
    const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (n >= min && n <= max) return n;
    throw new Invalid(`is not a number from ${min} to ${max}`);
  };
}

const dir: Parser<string> = (raw) => path.resolve(raw);

const FIELDS = {
  discordToken: { env: "DISCORD_TOKEN", parse: text, fallback: undefined },
  discordClientId: { env: "DISCORD_CLIENT_ID", parse: snowflake, fallback: undefined },
  discordGuildId: { env: "DISCORD_GUILD_ID", parse: snowflake, fallback: undefined },
  discordApiUrl: { env: "DISCORD_API_URL", parse: httpUrl, fallback: undefined },
  dataDir: { env: "DATA_DIR", parse: dir, fallback: "./data" },
  modelDir: { env: "MODEL_DIR", parse: dir, fallback: "models/folk-styles-2x256" },
  logLevel: { env: "LOG_LEVEL", parse: oneOf(LOG_LEVELS), fallback: "info" },
  nodeEnv: { env: "NODE_ENV", parse: oneOf(NODE_ENVS), fallback: "development" },
  tfBackend: { env: "TF_BACKEND", parse: oneOf(TF_BACKENDS), fallback: "auto" },
  adminUserIds: { env: "ADMIN_USER_IDS", parse: snowflakeList, fallback: [] },
  adminRoleIds: { env: "ADMIN_ROLE_IDS", parse: snowflakeList, fallback: [] },
  composeConcurrency: { env: "COMPOSE_CONCURRENCY", parse: int(1, 16), fallback: 2 },
  composeCooldownSeconds: { env: "COMPOSE_COOLDOWN_SECONDS", parse: int(0, 3600), fallback: 10 },
  maxAttachmentBytes: { env: "MAX_ATTACHMENT_BYTES", parse: int(1), fallback: 1_048_576 },
  maxSeedNotes: { env: "MAX_SEED_NOTES", parse: int(1), fallback: 2000 },
  maxSeedBars: { env: "MAX_SEED_BARS", parse: int(1, 5000), fallback: 128 },
  maxRequestBars: { env: "MAX_REQUEST_BARS", parse: int(4, 64), fallback: 64 },
  maxTokensPerBar: { env: "MAX_TOKENS_PER_BAR", parse: int(4, 1000), fallback: 48 },
  maxConcurrentDownloads: { env: "MAX_CONCURRENT_DOWNLOADS", parse: int(1, 64), fallback: 4 },
  composeMaxQueue: { env: "COMPOSE_MAX_QUEUE", parse: int(0, 10_000), fallback: 50 },
  composeWorkerHeapMb: { env: "COMPOSE_WORKER_HEAP_MB", parse: int(64, 16_384), fallback: 512 },
  corpusDir: { env: "CORPUS_DIR", parse: dir, fallback: "../shared/corpus" },
  modelKeepVersions: { env: "MODEL_KEEP_VERSIONS", parse: int(1, 1000), fallback: 5 },
  retrainSteps: { env: "RETRAIN_STEPS", parse: int(1, 100_000), fallback: 200 },
  retrainToleranceBits: { env: "RETRAIN_TOLERANCE_BITS", parse: decimal(0, 10), fallback: 0.02 },
  retrainBatchSize: { env: "RETRAIN_BATCH_SIZE", parse: int(1, 1024), fallback: 32 },
  retrainSeqLen: { env: "RETRAIN_SEQ_LEN", parse: int(8, 1024), fallback: 128 },
  redisUrl: { env: "REDIS_URL", parse: redisUrl, fallback: undefined },
  redisPrefix: { env: "REDIS_PREFIX", parse: keyPrefix, fallback: "tunesmith" },
  jobLockMs: { env: "JOB_LOCK_MS", parse: int(500, 600_000), fallback: 30_000 },
  workerJobs: { env: "WORKER_JOBS", parse: workerJobs, fallback: WORKER_JOBS },
  modelPollSeconds: { env: "MODEL_POLL_SECONDS", parse: int(0, 3600), fallback: 5 },
  // Not SHARD_COUNT: discord.js's Client reads that variable itself (as a number) in every process.
  totalShards: { env: "TOTAL_SHARDS", parse: shardCount, fallback: "auto" },
  seedRetentionDays: { env: "SEED_RETENTION_DAYS", parse: int(1, 3650), fallback: 30 },
  healthPort: { env: "HEALTH_PORT", parse: int(1, 65_535), fallback: undefined },
  healthHost: { env: "HEALTH_HOST", parse: text, fallback: "127.0.0.1" },
} satisfies { readonly [K in keyof Config]: Field<Config[K]> };

/** Paths are resolved even when defaulted, so callers always get absolute paths. */
const RESOLVE_FALLBACK: ReadonlySet<keyof Config> = new Set(["dataDir", "modelDir", "corpusDir"]);

/** Trimmed value, or undefined when unset or blank. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function describe(name: string, value: string, token: string | undefined): string {
  // A value that contains the token (e.g. pasted into the wrong variable) is never echoed.
  if (token !== undefined && value.includes(token))
    return `${name} (value hidden: it contains DISCORD_TOKEN)`;
  if (name === FIELDS.redisUrl.env) return `${name} (value hidden: it may hold a password)`;
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `${name}=${JSON.stringify(shown)}`;
}

/** Validates `env` and returns the settings. Throws one ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const token = read(env, FIELDS.discordToken.env);
  const result: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(FIELDS) as [keyof Config, Field<unknown>][]) {
    const raw = read(env, field.env);
    if (raw === undefined) {
      result[key] = RESOLVE_FALLBACK.has(key) ? field.parse(field.fallback as string) : field.fallback;
      continue;
    }
    try {
      result[key] = field.parse(raw);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push(`${describe(field.env, raw, token)} ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(result) as unknown as Config;
}

let envFileLoaded = false;

/** Loads `.env` into process.env once (existing variables win). */
function loadEnvFile(): void {
  if (envFileLoaded) return;
  envFileLoaded = true;
  dotenv.config({ quiet: true });
}

let cached: Config | undefined;

/** The process configuration: `.env` merged into process.env, validated once and memoised. */
export function config(): Config {
  if (cached === undefined) {
    loadEnvFile();
    cached = loadConfig(process.env);
  }
  return cached;
}

/**
 * Literal secret values known from the environment (currently the Discord token), for log
 * scrubbing. Does not validate the rest of the config, so it works even when config() throws.
 */
export function knownSecrets(): string[] {
  loadEnvFile();
  const token = read(process.env, FIELDS.discordToken.env);
  const secrets = token === undefined ? [] : [token];
  const redis = redisPassword(read(process.env, FIELDS.redisUrl.env));
  if (redis !== undefined) secrets.push(redis);
  return secrets;
}

/** The password in a redis:// URL (also percent-decoded), if it has one. */
export function redisPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = new URL(url).password;
    return password === "" ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** A Redis URL fit for a log line: host, port and database, never the credentials. */
export function redisLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(unparseable Redis URL)";
  }
}
