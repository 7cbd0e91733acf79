import { requireAdmin } from "./admin-auth.js";
import type { Precondition } from "./context.js";

/**
 * Checks a command declares (`export const preconditions = [adminOnly]`) and the router runs
 * before its handlers, so no handler has to remember them. A refusal is a UserFacingError:
 * the router answers it privately.
 */

/** Only the bot's admins (ADMIN_USER_IDS, ADMIN_ROLE_IDS), and only in a server; every attempt is logged. */
export const adminOnly: Precondition = (interaction, bot) => {
  const action = interaction.isChatInputCommand()
    ? [
        `/${interaction.commandName}`,
        interaction.options.getSubcommandGroup(false),
        interaction.options.getSubcommand(false),
      ]
        .filter(Boolean)
        .join(" ")
    : `button ${interaction.customId}`;
  requireAdmin(interaction, bot.settings.admins, action, bot.log);
};
