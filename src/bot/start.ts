import { once } from "node:events";
import { type Client, Events, RESTEvents, Status } from "discord.js";
import type { Logger } from "pino";
import { ComposePool } from "../compose/pool.js";
import { type Config, config, redisLocation } from "../config.js";
import { type Check, type HealthServer, healthPortOf, serveHealth } from "../health.js";
import { RedisJobQueue } from "../jobs/bullmq.js";
import { LocalJobQueue } from "../jobs/local.js";
import type { JobQueue } from "../jobs/queue.js";
import { stopOnce, Teardown } from "../lifecycle.js";
import { getLog } from "../log.js";
import { initBackend } from "../model/backend.js";
import { readModelVocabulary } from "../model/model-dir.js";
import { retrainChildEnv } from "../retrain/process.js";
import { startSeedPruning } from "../store/seed-retention.js";
import { openStore, type Store } from "../store/store.js";
import { followActiveModel } from "../versions/active-model.js";
import { type ActiveVersion, ModelVersions } from "../versions/model-versions.js";
import { DOWNLOAD_TIMEOUT_MS, DownloadSlots } from "./attachments.js";
import { createClient } from "./client.js";
import type { BotContext, BotSettings, Command } from "./context.js";
import { Cooldowns } from "./cooldowns.js";
import { INTERACTION_LIFETIME_MS } from "./deadline.js";
import { DiscordClock } from "./discord-clock.js";
import { loadCommands } from "./loader.js";
import { Retraining } from "./retraining.js";
import { InteractionRouter } from "./router.js";
import { MISSING_TOKEN_HELP } from "./token-help.js";

/**
 * The whole bot in one call: store, vocabulary, commands, composer pool, Discord client,
 * logged in and ready. `stop()` shuts it down in the order that loses no work: refuse
 * new interactions, let the pool finish what is running (queued jobs are refused and
 * their users told), wait for the replies to go out, then close the gateway and the store.
 */
/** How long a shutdown waits for replies still being sent. */
const SETTLE_TIMEOUT_MS = 30_000;
/** Discord allows about five edits per 5 s on a message; progress needs far fewer. */
const RETRAIN_PROGRESS_MS = 3_000;

export interface StartBotOptions {
  /** Overrides on top of config() (the environment and .env). */
  readonly config?: Partial<Config>;
  readonly settings?: Partial<BotSettings>;
  readonly log?: Logger;
  /** A pool to use instead of starting one; the bot does not close it on stop(). */
  readonly pool?: ComposePool;
  /** A job queue to use instead of the one the configuration asks for; not closed on stop(). */
  readonly jobs?: JobQueue;
  readonly commandsDir?: string;
}

export interface RunningBot {
  readonly client: Client<true>;
  /** The compose pool in this process; none when the work goes to Redis workers (REDIS_URL). */
  readonly pool: ComposePool | undefined;
  /** Where compositions and retraining runs go (src/jobs). */
  readonly jobs: JobQueue;
  readonly store: Store;
  readonly commands: ReadonlyMap<string, Command>;
  readonly router: InteractionRouter;
  /** /healthz and /readyz, when HEALTH_PORT is set. */
  readonly health: HealthServer | undefined;
  stop(): Promise<void>;
}

export class MissingTokenError extends Error {
  constructor() {
    super(MISSING_TOKEN_HELP);
    this.name = "MissingTokenError";
  }
}

/** What /readyz looks at, filled in as the bot starts: it answers "not ready" until then. */
interface Live {
  store?: Store;
  jobs?: JobQueue;
  client?: Client;
  stopping?: boolean;
}

export async function startBot(options: StartBotOptions = {}): Promise<RunningBot> {
  const cfg: Config = { ...config(), ...options.config };
  if (!cfg.discordToken) throw new MissingTokenError();
  const log = options.log ?? getLog();
  const teardown = new Teardown();
  const live: Live = {};
  try {
    const port = cfg.healthPort === undefined ? undefined : healthPortOf(cfg.healthPort);
    const health = await serveHealth(port, { host: cfg.healthHost, checks: readyChecks(live) }, log);
    if (health) teardown.add(() => health.close());
    const services = await startServices(cfg, options, log, teardown, live);
    const { bot, jobs, pool } = services;
    const router = new InteractionRouter(bot);
    const client = createClient(cfg.discordApiUrl);
    live.client = client;
    teardown.add(() => client.destroy());
    const readyClient = await connectToDiscord(client, {
      router,
      clock: bot.clock,
      token: cfg.discordToken,
      commandNames: [...bot.commands.keys()],
      log,
      stopping: () => live.stopping === true,
    });
    const stop = stopOnce(() => stopBot({ ...services, router, client, health, live }));
    return {
      client: readyClient,
      pool,
      jobs,
      store: bot.store,
      commands: bot.commands,
      router,
      health,
      stop,
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/** What the bot runs besides its Discord client. */
interface Services {
  readonly bot: BotContext;
  readonly jobs: JobQueue;
  readonly pool: ComposePool | undefined;
  /** Whether the bot closes the job queue (not when a test lent it). */
  readonly ownsJobs: boolean;
  readonly pruning: { stop(): void };
}

/**
 * Everything the handlers use (BotContext): the store, the commands, the model versions,
 * the job queue on the active one and following it, retraining; each undone by `teardown`.
 */
async function startServices(
  cfg: Config,
  options: StartBotOptions,
  log: Logger,
  teardown: Teardown,
  live: Live,
): Promise<Services> {
  const settings = botSettings(cfg, options.settings);
  const { store, pruning } = openBotStore(cfg, log, teardown);
  live.store = store;
  const vocabulary = readModelVocabulary(cfg.modelDir);
  const commands = await loadCommands(options.commandsDir);
  // Activating a version first loads it here to check it, so this thread needs TensorFlow too.
  await initBackend(cfg.tfBackend, (line) => log.debug(line));
  const versions = new ModelVersions({ dataDir: cfg.dataDir, baseModelDir: cfg.modelDir, store });
  const { jobs, pool, ownsJobs } = await startJobs(cfg, options, activeVersion(versions, log), log);
  live.jobs = jobs;
  if (ownsJobs) teardown.add(() => jobs.close());
  // A run that will never finish (its process died with the last bot): say so in its record.
  for (const run of await jobs.failInterruptedRuns(store)) log.warn({ run: run.id }, run.reason);
  const follower = followActiveModel(versions, jobs, {
    pollMs: cfg.modelPollSeconds * 1000,
    log: (level, fields, message) => log[level](fields, message),
  });
  teardown.add(() => follower.stop());
  await follower.sync();
  const clock = new DiscordClock(log);
  const retraining = new Retraining({
    store,
    versions,
    follower,
    env: retrainChildEnv(cfg),
    start: (run) => jobs.startRetrain(run),
    log,
    progressEveryMs: settings.retrainProgressMs,
    interactionLifetimeMs: settings.interactionLifetimeMs,
    clock,
  });
  teardown.add(() => retraining.stop());
  logComposerReady(cfg, jobs, log);
  const bot: BotContext = {
    settings,
    jobs,
    store,
    vocabulary,
    cooldowns: new Cooldowns(settings.cooldownMs),
    downloads: new DownloadSlots(cfg.maxConcurrentDownloads),
    versions,
    follower,
    retraining,
    commands,
    clock,
    log,
  };
  return { bot, jobs, pool, ownsJobs, pruning };
}

/**
 * Shuts the bot down in the order that loses no work: refuse new interactions, let the
 * queue finish what is running (queued jobs are refused and their users told), wait for
 * the replies to go out, then close the gateway and the store.
 */
async function stopBot(
  running: Services & {
    readonly router: InteractionRouter;
    readonly client: Client;
    readonly health: HealthServer | undefined;
    readonly live: Live;
  },
): Promise<void> {
  const { router, bot, jobs, client, health } = running;
  const { log } = bot;
  router.stopAccepting();
  running.live.stopping = true;
  log.info({ inFlight: router.busy }, "stopping: finishing the work in progress");
  bot.follower.stop();
  running.pruning.stop();
  // A retraining run is cancelled (recorded as such; nothing is activated) rather than orphaned.
  await bot.retraining.stop();
  if (running.ownsJobs) await jobs.close();
  if (!(await router.settle(SETTLE_TIMEOUT_MS)))
    log.warn({ inFlight: router.busy }, "stopping with interactions still running");
  await client.destroy();
  bot.store.close();
  await health?.close();
  log.info("stopped");
}

/** The version to serve, with the store brought in line with the pointer first. */
function activeVersion(versions: ModelVersions, log: Logger): ActiveVersion {
  versions.reconcile();
  const active = versions.activeVersion();
  if (active.fallbackReason) log.warn({ reason: active.fallbackReason }, "serving the shipped model instead");
  return active;
}

/** The handlers' settings from the configuration, with a test's overrides on top. */
function botSettings(cfg: Config, overrides: Partial<BotSettings> = {}): BotSettings {
  return {
    maxAttachmentBytes: cfg.maxAttachmentBytes,
    maxSeedNotes: cfg.maxSeedNotes,
    maxSeedBars: cfg.maxSeedBars,
    requestLimits: { maxBars: cfg.maxRequestBars, tokensPerBar: cfg.maxTokensPerBar },
    cooldownMs: cfg.composeCooldownSeconds * 1000,
    interactionLifetimeMs: INTERACTION_LIFETIME_MS,
    downloadTimeoutMs: DOWNLOAD_TIMEOUT_MS,
    admins: { userIds: cfg.adminUserIds, roleIds: cfg.adminRoleIds },
    retrainProgressMs: RETRAIN_PROGRESS_MS,
    ...overrides,
  };
}

function readyChecks(live: Live): Record<string, Check> {
  return {
    gateway: () => {
      if (live.stopping) return "stopping";
      const status = live.client?.ws.status;
      if (status === undefined) return "not connected yet";
      return status === Status.Ready ? undefined : `not connected (${Status[status]})`;
    },
    model: async () => (live.jobs ? (await live.jobs.health()).model : "not loaded yet"),
    queue: async () => (live.jobs ? (await live.jobs.health()).queue : "not started yet"),
    store: () => (live.store ? live.store.checkWritable() : "not open yet"),
  };
}

/** The store, and the hourly deletion of seeds older than SEED_RETENTION_DAYS. */
function openBotStore(
  cfg: Config,
  log: Logger,
  teardown: Teardown,
): { store: Store; pruning: { stop(): void } } {
  const store = openStore(cfg.dataDir);
  teardown.add(() => store.close());
  log.info({ file: store.file }, "store open");
  const pruning = startSeedPruning({
    store,
    retentionDays: cfg.seedRetentionDays,
    onPruned: (deleted, cutoff) => {
      if (deleted > 0) log.info({ deleted, before: cutoff.toISOString() }, "old seeds deleted");
    },
    onError: (error) => log.warn({ err: error }, "could not delete old seeds; trying again in an hour"),
  });
  teardown.add(() => pruning.stop());
  return { store, pruning };
}

/**
 * Where compositions and retraining runs go: the queue a test lends, a local queue over a
 * lent pool, Redis workers (REDIS_URL), or a pool of this process's own on the active version.
 */
async function startJobs(
  cfg: Config,
  options: StartBotOptions,
  active: ActiveVersion,
  log: Logger,
): Promise<{ jobs: JobQueue; pool: ComposePool | undefined; ownsJobs: boolean }> {
  if (options.jobs) return { jobs: options.jobs, pool: options.pool, ownsJobs: false };
  if (options.pool)
    return { jobs: new LocalJobQueue(options.pool, false), pool: options.pool, ownsJobs: true };
  if (cfg.redisUrl) {
    const jobs = await RedisJobQueue.connect({
      url: cfg.redisUrl,
      prefix: cfg.redisPrefix,
      source: { modelDir: active.dir, modelVersion: active.id },
      log,
    });
    return { jobs, pool: undefined, ownsJobs: true };
  }
  const pool = await ComposePool.start({
    size: cfg.composeConcurrency,
    modelDir: active.dir,
    modelVersion: active.id,
    backend: cfg.tfBackend,
    maxQueue: cfg.composeMaxQueue,
    workerHeapMb: cfg.composeWorkerHeapMb,
  });
  return { jobs: new LocalJobQueue(pool, true), pool, ownsJobs: true };
}

function logComposerReady(cfg: Config, jobs: JobQueue, log: Logger): void {
  log.info(
    {
      model: jobs.model.name,
      version: jobs.model.version,
      backend: jobs.model.backend,
      ...(jobs.kind === "redis" && cfg.redisUrl
        ? { queue: redisLocation(cfg.redisUrl), prefix: cfg.redisPrefix }
        : { workers: cfg.composeConcurrency }),
    },
    "composer ready",
  );
}

/** Logs in; resolves with the client once Discord says it is ready. */
async function connectToDiscord(
  client: Client,
  how: {
    readonly router: InteractionRouter;
    readonly clock: DiscordClock;
    readonly token: string;
    /** Logged once connected. */
    readonly commandNames: readonly string[];
    readonly log: Logger;
    /** True once the bot is stopping: closing the gateway then is not trouble. */
    readonly stopping: () => boolean;
  },
): Promise<Client<true>> {
  const { router, clock, token, log } = how;
  // Every REST response says what time it is on Discord's side. A fetch Response reaches
  // listeners as a clone, whose unread body would be buffered: it is let go at once. (Other
  // responses come as a shallow copy sharing discord.js's own body, which must be left alone.)
  client.rest.on(RESTEvents.Response, (_request, response) => {
    clock.observeDate(response.headers.get("date"));
    if (response instanceof Response) response.body?.cancel().catch(() => {});
  });
  router.attach(client);
  watchConnection(client, log, how.stopping);
  const ready = once(client, Events.ClientReady) as Promise<[Client<true>]>;
  await client.login(token);
  const [readyClient] = await ready;
  log.info(
    {
      user: readyClient.user.tag,
      guilds: readyClient.guilds.cache.size,
      commands: how.commandNames,
      ...(readyClient.shard ? { shards: readyClient.shard.ids, of: readyClient.shard.count } : {}),
    },
    "connected to Discord",
  );
  return readyClient;
}

/**
 * Gateway trouble is normal (discord.js reconnects and resumes); it is logged, not fatal.
 * Closing the gateway on the way out is neither: it is not logged.
 */
function watchConnection(client: Client, log: Logger, stopping: () => boolean): void {
  client.on(Events.Error, (error) => log.error({ err: error }, "Discord client error"));
  client.on(Events.Warn, (message) => log.warn({ message }, "Discord client warning"));
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (!stopping()) log.warn({ shard, code: event.code }, "gateway disconnected");
  });
  client.on(Events.ShardReconnecting, (shard) => {
    if (!stopping()) log.info({ shard }, "gateway reconnecting");
  });
  client.on(Events.ShardResume, (shard, replayed) => log.info({ shard, replayed }, "gateway resumed"));
}
