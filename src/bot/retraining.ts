import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  AttachmentBuilder,
  type ChatInputCommandInteraction,
  type Message,
  type MessageEditOptions,
} from "discord.js";
import type { Logger } from "pino";
import type { RetrainRun, RetrainStart } from "../jobs/queue.js";
import { RetrainBusyError, startRetrainProcess } from "../retrain/process.js";
import type { RetrainMessage, RetrainProgress, RetrainSummary } from "../retrain/run-reports.js";
import type { Store } from "../store/store.js";
import type { ActiveModelFollower } from "../versions/active-model.js";
import type { ModelVersions } from "../versions/model-versions.js";
import type { Deadline } from "./deadline.js";
import type { DiscordClock } from "./discord-clock.js";
import { UserFacingError } from "./error-replies.js";
import { progressEmbed, resultEmbed } from "./retrain-progress.js";

/**
 * One retraining run at a time, started from /admin retrain: a child process (so the
 * bot keeps answering), its progress shown by editing one message, its result posted
 * when it ends, and the composer moved to the new version if it was promoted. The run
 * outlives Discord's 15-minute interaction window by carrying on in a channel message.
 */
export interface RetrainingOptions {
  readonly store: Store;
  readonly versions: ModelVersions;
  readonly follower: ActiveModelFollower;
  /** Environment of the child (DATA_DIR, MODEL_DIR, CORPUS_DIR… as the bot uses them). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** Least time between two progress edits (Discord rate-limits message edits). */
  readonly progressEveryMs: number;
  readonly interactionLifetimeMs: number;
  /** Discord's clock as seen from here, for the interaction's deadline. */
  readonly clock: DiscordClock;
  /**
   * Starts the run: by default `npm run retrain` as a child of this process; with a job
   * queue (REDIS_URL), a retraining job that a worker process runs (JobQueue.startRetrain).
   */
  readonly start?: (options: RetrainStart) => RetrainRun;
}

/** What an admin may set for one run (/admin retrain steps learning_rate); the rest comes from the settings. */
export interface RetrainOverrides {
  readonly steps?: number;
  readonly learningRate?: number;
}

export class Retraining {
  private current: { process: RetrainRun; relayed: Promise<void> } | undefined;

  constructor(private readonly options: RetrainingOptions) {}

  /**
   * Starts a run and answers the (not yet acknowledged) interaction; progress and the
   * result follow in the background. Refuses while another run is going.
   */
  async start(interaction: ChatInputCommandInteraction, parameters: RetrainOverrides): Promise<void> {
    const { log } = this.options;
    const target = new LiveMessage(
      interaction,
      this.options.clock.deadline(interaction, this.options.interactionLifetimeMs),
      log,
    );
    let latest: RetrainProgress | undefined;
    let shown = 0;
    let edits: Promise<void> = Promise.resolve();
    const show = (options: MessageEditOptions) => {
      edits = edits
        .then(() => target.show(options))
        .catch((error: unknown) => log.warn({ err: error }, "could not update the retraining message"));
      return edits;
    };

    let process: RetrainRun;
    const start = this.options.start ?? startRetrainProcess;
    try {
      process = start({
        store: this.options.store,
        requestedBy: interaction.user.id,
        ...(parameters.steps !== undefined ? { steps: parameters.steps } : {}),
        ...(parameters.learningRate !== undefined ? { learningRate: parameters.learningRate } : {}),
        env: this.options.env,
        onMessage: (message: RetrainMessage) => {
          if (message.type === "log") log.debug({ run: message.runId, line: message.line }, "retraining");
          if (message.type !== "progress") return;
          latest = message;
          const now = Date.now();
          if (now - shown < this.options.progressEveryMs) return;
          shown = now;
          void show({ content: null, embeds: [progressEmbed(message.runId, message)] });
        },
      });
    } catch (error) {
      if (error instanceof RetrainBusyError)
        throw new UserFacingError(`Only one retraining at a time: ${error.message}.`, "busy");
      throw error;
    }
    try {
      await interaction.deferReply();
    } catch (error) {
      // Nobody would see this run: stop it rather than train unseen.
      process.cancel();
      throw error;
    }
    log.info({ run: process.runId, user: interaction.user.id, parameters }, "retraining started");
    void show({ embeds: [progressEmbed(process.runId, initialProgress(parameters))] });
    const relayed = (async () => {
      const summary = await process.done;
      await edits;
      const model = summary.promoted ? await this.options.follower.sync() : undefined;
      log.info(
        { run: summary.runId, status: summary.status, promoted: summary.promoted, serving: model?.version },
        "retraining finished",
      );
      await show(this.resultMessage(summary, latest));
    })()
      .catch((error: unknown) => log.error({ err: error, run: process.runId }, "retraining relay failed"))
      .finally(() => {
        this.current = undefined;
      });
    this.current = { process, relayed };
  }

  /** Stops a running run (it records itself as cancelled) and waits for its last message. */
  async stop(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.process.cancel();
    await current.relayed;
  }

  private resultMessage(summary: RetrainSummary, last: RetrainProgress | undefined): MessageEditOptions {
    const curve =
      summary.versionId !== null
        ? path.join(this.options.versions.dirOf(summary.versionId), "loss-curve.png")
        : "";
    const files =
      curve && existsSync(curve)
        ? [new AttachmentBuilder(readFileSync(curve), { name: "loss-curve.png" })]
        : [];
    const lastStep = last ? `Last progress: step ${last.step}/${last.totalSteps}.` : null;
    return {
      content: summary.status === "failed" ? lastStep : null,
      embeds: [resultEmbed(summary, files.length > 0)],
      files,
    };
  }
}

function initialProgress(parameters: RetrainOverrides): RetrainProgress {
  return {
    phase: "preparing",
    step: 0,
    totalSteps: parameters.steps ?? 0,
    loss: null,
    tokensPerSecond: 0,
    etaSeconds: null,
  };
}

/**
 * The interaction's reply while Discord accepts edits to it, then a message of its own in
 * the same channel (a long run outlives the interaction's 15 minutes).
 */
class LiveMessage {
  private message: Message | undefined;

  constructor(
    private readonly interaction: ChatInputCommandInteraction,
    private readonly deadline: Deadline,
    private readonly log: Logger,
  ) {}

  async show(options: MessageEditOptions): Promise<void> {
    if (this.message) {
      await this.message.edit(options);
      return;
    }
    if (this.deadline.canSend) {
      await this.interaction.editReply(options);
      return;
    }
    const channel = this.interaction.channel;
    if (!channel?.isSendable()) {
      this.log.warn({ channel: this.interaction.channelId }, "retraining: no channel to post progress in");
      return;
    }
    const { content, embeds, files } = options;
    this.message = await channel.send({
      ...(content ? { content } : {}),
      ...(embeds ? { embeds } : {}),
      ...(files ? { files } : {}),
    });
  }
}
