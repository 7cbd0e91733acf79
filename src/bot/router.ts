import {
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type CommandInteractionOption,
  DiscordAPIError,
  Events,
  type Interaction,
  RESTJSONErrorCodes,
} from "discord.js";
import type { BotContext, Command } from "./context.js";
import {
  internalMessage,
  isDiscordFailure,
  newErrorId,
  UserFacingError,
  userMessage,
} from "./error-replies.js";
import { tellPrivately } from "./respond.js";

/**
 * Interactions to handlers: slash commands by name, autocompletion to the command's
 * `autocomplete`, buttons by the prefix of their custom id. Every handler runs wrapped:
 * it is timed and logged (user, command, options, duration, outcome), and whatever it
 * throws becomes a private message to the user, never silence or a stack trace.
 * The router also knows what is still running, so a shutdown can wait for it.
 */
export class InteractionRouter {
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = true;

  constructor(private readonly bot: BotContext) {}

  attach(client: Client): void {
    client.on(Events.InteractionCreate, (interaction) => this.dispatch(interaction));
  }

  dispatch(interaction: Interaction): void {
    // Deadlines are measured from here, whatever the host clock says (see DiscordClock).
    this.bot.clock.arrived(interaction);
    const run: Promise<void> = this.route(interaction)
      .catch((error: unknown) => this.bot.log.error({ err: error }, "interaction routing failed"))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** New interactions get "restarting, try again" from now on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Waits for running handlers (at most `timeoutMs`); false if some were still running. */
  async settle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      return true as const;
    })();
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async route(interaction: Interaction): Promise<void> {
    if (interaction.isAutocomplete()) {
      const command = this.bot.commands.get(interaction.commandName);
      if (!this.accepting || !command?.autocomplete) return void (await interaction.respond([]));
      try {
        await command.autocomplete(interaction, this.bot);
      } catch (error) {
        this.bot.log.warn({ err: error, command: interaction.commandName }, "autocomplete failed");
      }
      return;
    }
    if (interaction.isChatInputCommand()) {
      const command = this.bot.commands.get(interaction.commandName);
      await this.run(interaction, `/${interaction.commandName}`, summariseOptions(interaction), () => {
        if (!command)
          throw new UserFacingError(
            `I don't know /${interaction.commandName} (any more). The bot's commands may need redeploying.`,
            "unknown",
          );
        for (const check of command.preconditions ?? []) check(interaction, this.bot);
        return command.execute(interaction, this.bot);
      });
      return;
    }
    if (interaction.isButton()) {
      const command = this.buttonOwner(interaction);
      // Logged as e.g. "button c1:hot": which button; the full id (the settings) goes in options.
      const which = interaction.customId.split(":").slice(0, 2).join(":");
      await this.run(interaction, `button ${which}`, interaction.customId, () => {
        if (!command?.press)
          throw new UserFacingError(
            "This button is from an older version of the bot and no longer works. Run /compose for a new tune.",
            "unknown",
          );
        for (const check of command.preconditions ?? []) check(interaction, this.bot);
        return command.press(interaction, this.bot);
      });
    }
  }

  private buttonOwner(interaction: ButtonInteraction): Command | undefined {
    const prefix = interaction.customId.split(":")[0];
    return [...this.bot.commands.values()].find((c) => c.buttonPrefix === prefix);
  }

  private async run(
    interaction: ChatInputCommandInteraction | ButtonInteraction,
    command: string,
    options: string,
    handler: () => Promise<void>,
  ): Promise<void> {
    const { log, settings } = this.bot;
    const started = performance.now();
    const deadline = this.bot.clock.deadline(interaction, settings.interactionLifetimeMs);
    let outcome = "ok";
    let errorId: string | undefined;
    try {
      if (!this.accepting)
        throw new UserFacingError("I'm restarting; please try again in a minute.", "shutting-down");
      await handler();
    } catch (error) {
      if (isExpired(error)) {
        outcome = "expired";
        log.warn(
          { err: error, interaction: interaction.id },
          "Discord no longer accepts replies to this interaction",
        );
      } else {
        let text = userMessage(error);
        if (text !== undefined && isDiscordFailure(error)) {
          outcome = "discord-failed";
          log.warn({ err: error, interaction: interaction.id, command }, "Discord did not take a reply");
        } else if (text !== undefined) {
          outcome = error instanceof UserFacingError ? error.outcome : "refused";
        } else {
          errorId = newErrorId();
          outcome = "error";
          log.error({ err: error, errorId, user: interaction.user.id, command, options }, "command failed");
          text = internalMessage(errorId);
        }
        await tellPrivately(interaction, text, deadline, log).catch((failure: unknown) => {
          log.warn({ err: failure, errorId, interaction: interaction.id }, "could not tell the user");
        });
      }
    }
    log.info(
      {
        user: interaction.user.id,
        guild: interaction.guildId,
        command,
        options,
        durationMs: Math.round(performance.now() - started),
        outcome,
        ...(errorId ? { errorId } : {}),
      },
      "command",
    );
  }
}

/** Discord refuses the interaction's token: it is older than 3 s (callback) or 15 min (webhook). */
function isExpired(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.UnknownInteraction ||
      error.code === RESTJSONErrorCodes.InvalidWebhookToken)
  );
}

/** `temperature=1.2 seed=tune.mid(2 KB)`: what the user asked, short enough for a log line. */
export function summariseOptions(interaction: ChatInputCommandInteraction): string {
  const flat = (options: readonly CommandInteractionOption[]): string[] =>
    options.flatMap((o) => {
      if (o.options) return [o.name, ...flat(o.options)];
      if (o.attachment) return [`${o.name}=${o.attachment.name}(${o.attachment.size} B)`];
      const value = String(o.value);
      return [`${o.name}=${value.length > 40 ? `${value.slice(0, 37)}...` : value}`];
    });
  return flat(interaction.options.data).join(" ");
}
