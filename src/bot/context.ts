import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord.js";
import type { Logger } from "pino";
import type { RequestLimits } from "../compose/request.js";
import type { JobQueue } from "../jobs/queue.js";
import type { Vocabulary } from "../music/vocabulary.js";
import type { Store } from "../store/store.js";
import type { ActiveModelFollower } from "../versions/active-model.js";
import type { ModelVersions } from "../versions/model-versions.js";
import type { AdminPolicy } from "./admin-auth.js";
import type { DownloadSlots } from "./attachments.js";
import type { Cooldowns } from "./cooldowns.js";
import type { DiscordClock } from "./discord-clock.js";
import type { Retraining } from "./retraining.js";

/** What command handlers may use; handed to each call, so handlers hold no state of their own. */
export interface BotContext {
  readonly settings: BotSettings;
  /** Where compositions, renderings and retraining runs go (src/jobs). */
  readonly jobs: HandlerJobs;
  readonly store: Store;
  /** The model's vocabulary (MODEL_DIR/vocab.json), to judge submissions. */
  readonly vocabulary: Vocabulary;
  readonly cooldowns: Cooldowns;
  /** Attachment downloads at once (MAX_CONCURRENT_DOWNLOADS). */
  readonly downloads: DownloadSlots;
  /** The model versions on disk and which one is active. */
  readonly versions: ModelVersions;
  /** Moves the job queue to the active version (after a promotion or rollback). */
  readonly follower: ActiveModelFollower;
  readonly retraining: Retraining;
  readonly commands: ReadonlyMap<string, Command>;
  /** Discord's clock as seen from here: interaction deadlines come from it. */
  readonly clock: DiscordClock;
  readonly log: Logger;
}

/**
 * The part of the job queue handlers use: the compose pool in this process, or Redis and
 * worker processes (src/jobs). A test may stand in for it.
 */
export type HandlerJobs = Pick<JobQueue, "submit" | "render" | "running" | "waiting" | "model">;

export interface BotSettings {
  readonly maxAttachmentBytes: number;
  readonly maxSeedNotes: number;
  readonly maxSeedBars: number;
  /** Most bars and tokens one composition may cost (MAX_REQUEST_BARS, MAX_TOKENS_PER_BAR). */
  readonly requestLimits: RequestLimits;
  /** Pause between one user's compositions; 0 turns it off. */
  readonly cooldownMs: number;
  /** How long Discord accepts edits to an interaction's reply (15 min). */
  readonly interactionLifetimeMs: number;
  readonly downloadTimeoutMs: number;
  /** Who may run /admin (checked at run time, whatever Discord's permissions say). */
  readonly admins: AdminPolicy;
  /** Least time between two edits of a retraining's progress message. */
  readonly retrainProgressMs: number;
}

/**
 * One slash command, as the files in commands/ export it (the shape of discord.js's
 * create-discord-bot template, plus the context argument and optional buttons).
 */
export interface Command {
  /** A SlashCommandBuilder: deploy-commands registers `data.toJSON()`, the router routes by `data.name`. */
  readonly data: { readonly name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, bot: BotContext): Promise<void>;
  /** Buttons this command puts on its messages have custom ids `${buttonPrefix}:...`. */
  readonly buttonPrefix?: string;
  press?(interaction: ButtonInteraction, bot: BotContext): Promise<void>;
  /** Checks the router runs before `execute` and `press` (src/bot/preconditions.ts), in order. */
  readonly preconditions?: readonly Precondition[];
}

/** A named check a command declares: throws a UserFacingError to refuse the interaction. */
export type Precondition = (
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  bot: BotContext,
) => void;
