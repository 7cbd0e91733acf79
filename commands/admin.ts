import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import {
  forgetUser,
  reviewButton,
  reviewNext,
  showModel,
  startRetraining,
  switchModel,
  versionChoices,
} from "../src/bot/admin-flow.js";
import { ADMIN_PREFIX } from "../src/bot/admin-review.js";
import type { BotContext } from "../src/bot/context.js";
import { UserFacingError } from "../src/bot/error-replies.js";
import { adminOnly } from "../src/bot/preconditions.js";

/**
 * /admin: reviewing submissions, retraining, and choosing the model version. Hidden from
 * non-administrators by Discord (default member permissions) and, because a server can
 * change that, checked again at run time against ADMIN_USER_IDS / ADMIN_ROLE_IDS.
 */
/** What Discord lets an admin type; the run itself validates again. */
const RETRAIN_LIMITS = {
  steps: { min: 1, max: 100_000 },
  learningRate: { min: 1e-6, max: 10 },
};

export const data = new SlashCommandBuilder()
  .setName("admin")
  .setDescription("Tunesmith administration (bot admins only)")
  .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName("review").setDescription("Review submitted tunes one by one"))
  .addSubcommand((s) =>
    s
      .setName("retrain")
      .setDescription("Fine-tune the model on approved submissions; promoted only if it is not worse")
      .addIntegerOption((o) =>
        o
          .setName("steps")
          .setDescription("Training steps (default from RETRAIN_STEPS)")
          .setMinValue(RETRAIN_LIMITS.steps.min)
          .setMaxValue(RETRAIN_LIMITS.steps.max),
      )
      .addNumberOption((o) =>
        o
          .setName("learning_rate")
          .setDescription("Learning rate (default 0.0005)")
          .setMinValue(RETRAIN_LIMITS.learningRate.min)
          .setMaxValue(RETRAIN_LIMITS.learningRate.max),
      ),
  )
  .addSubcommandGroup((g) =>
    g
      .setName("model")
      .setDescription("The model version the bot composes with")
      .addSubcommand((s) => s.setName("show").setDescription("The active version, its card and the history"))
      .addSubcommand((s) =>
        s
          .setName("promote")
          .setDescription("Make a version active")
          .addStringOption((o) =>
            o
              .setName("version")
              .setDescription("Version id, e.g. v3 or 0")
              .setRequired(true)
              .setAutocomplete(true),
          ),
      )
      .addSubcommand((s) =>
        s.setName("rollback").setDescription("Go back to the version active before this one"),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName("forget")
      .setDescription("Delete a user's stored seeds and untrained submissions (as /forget does for them)")
      .addStringOption((o) =>
        o
          .setName("user_id")
          .setDescription("The user's id (Developer Mode: right-click → Copy User ID)")
          .setRequired(true)
          .setMinLength(17)
          .setMaxLength(20),
      ),
  );

export const buttonPrefix = ADMIN_PREFIX;
/** Every /admin command and button: the bot's admins only, checked again whatever Discord shows. */
export const preconditions = [adminOnly];

export async function execute(interaction: ChatInputCommandInteraction, bot: BotContext): Promise<void> {
  const group = interaction.options.getSubcommandGroup(false);
  const sub = interaction.options.getSubcommand(true);
  const action = group ? `${group} ${sub}` : sub;
  switch (action) {
    case "review":
      return reviewNext(interaction, bot);
    case "retrain":
      return startRetraining(interaction, bot);
    case "model show":
      return showModel(interaction, bot);
    case "model promote":
      return switchModel(interaction, bot, "promote");
    case "model rollback":
      return switchModel(interaction, bot, "rollback");
    case "forget":
      return forgetUser(interaction, bot);
    default:
      throw new UserFacingError(`I don't know /admin ${action}.`);
  }
}

export const press = reviewButton;
export const autocomplete = versionChoices;
