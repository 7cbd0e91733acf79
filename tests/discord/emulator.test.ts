/**
 * Proves the emulator against the real discord.js Client: one client logs in once for the whole
 * file; each test installs a tiny handler keyed by command / custom id and drives it through the
 * emulator. No project bot code is involved.
 */
import { once } from "node:events";
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  type Interaction,
  InteractionResponseType,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  REST,
  Routes,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DiscordEmulator, opt } from "./emulator.js";

const emulator = new DiscordEmulator({
  roles: [{ name: "Tune Admin", permissions: PermissionFlagsBits.ManageGuild }],
});
let client: Client;

type Handler = (interaction: Interaction) => Promise<void>;
const handlers = new Map<string, Handler>();
const handlerErrors: unknown[] = [];

function on(key: string, handler: Handler): void {
  handlers.set(key, handler);
}

function keyOf(i: Interaction): string {
  if (i.isChatInputCommand())
    return [i.commandName, i.options.getSubcommand(false)].filter(Boolean).join(" ");
  if (i.isAutocomplete()) return `autocomplete:${i.commandName}`;
  if (i.isButton()) return `button:${i.customId}`;
  if (i.isModalSubmit()) return `modal:${i.customId}`;
  return "unknown";
}

/** A gate the test opens to let a handler continue (to expire tokens mid-flight). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const commands = [
  new SlashCommandBuilder()
    .setName("compose")
    .setDescription("Compose a tune")
    .addAttachmentOption((o) => o.setName("seed").setDescription("Seed ABC").setRequired(true))
    .addIntegerOption((o) => o.setName("bars").setDescription("Bars"))
    .addNumberOption((o) => o.setName("temperature").setDescription("Sampling temperature"))
    .addBooleanOption((o) => o.setName("preview").setDescription("Audio preview"))
    .addStringOption((o) => o.setName("mode").setDescription("Mode").setAutocomplete(true)),
  new SlashCommandBuilder()
    .setName("admin")
    .setDescription("Admin tools")
    .addSubcommand((s) => s.setName("review").setDescription("Review the queue")),
].map((c) => c.toJSON());

// Distinct bytes per file, including CRLF and boundary-like runs to stress the multipart parser.
const FILES = {
  "x.txt": Buffer.from("X:1\r\n--boundary-lookalike\r\nK:D\r\n"),
  "tune.abc": Buffer.from("X:1\nT:Emulated Reel\nK:D\n|:d2fd Adfd:|\n"),
  "tune.mid": Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256)),
  "score.png": Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.alloc(64, 0x2d),
  ]),
};

beforeAll(async () => {
  await emulator.start();
  client = new Client({ intents: [GatewayIntentBits.Guilds], ...emulator.clientOptions() });
  client.on(Events.InteractionCreate, (interaction) => {
    const handler = handlers.get(keyOf(interaction));
    if (!handler) {
      handlerErrors.push(new Error(`no handler for ${keyOf(interaction)}`));
      return;
    }
    handler(interaction).catch((error: unknown) => handlerErrors.push(error));
  });
  const ready = once(client, Events.ClientReady);
  await client.login(emulator.botToken);
  await ready;

  // Registered the way a deploy script would; option types for injected commands come from this.
  const rest = new REST({ api: emulator.apiUrl }).setToken(emulator.botToken);
  await rest.put(Routes.applicationGuildCommands(emulator.applicationId, emulator.guildId), {
    body: commands,
  });
});

afterEach(() => {
  emulator.faults.clear();
  expect(handlerErrors).toEqual([]);
  expect(emulator.internalErrors).toEqual([]);
});

afterAll(async () => {
  await client?.destroy();
  await emulator.close();
});

describe("Discord emulator with a real discord.js Client", () => {
  it("logs the client in: gateway/bot, IDENTIFY, READY, GUILD_CREATE", () => {
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(emulator.applicationId);
    expect(client.application?.id).toBe(emulator.applicationId);
    const guild = client.guilds.cache.get(emulator.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(emulator.channelId)?.name).toBe("general");
    expect(guild?.roles.cache.find((r) => r.name === "Tune Admin")).toBeDefined();

    const [identify] = emulator.gateway.identifies;
    expect(identify?.intents).toBe(GatewayIntentBits.Guilds);
    expect(emulator.gateway.connections[0]?.query).toEqual({ v: "10", encoding: "json" });
    const gatewayBot = emulator.callsTo("gateway.bot")[0];
    expect(gatewayBot).toMatchObject({
      method: "GET",
      status: 200,
      authorized: true,
      rawPath: "/api/v10/gateway/bot",
    });
  });

  it("records command registration via REST.put(applicationGuildCommands)", () => {
    const [registration] = emulator.commands.registrations;
    expect(registration?.scope).toEqual({ guildId: emulator.guildId });
    // Compared as it travelled: JSON drops the builders' undefined fields.
    const sent = JSON.parse(JSON.stringify(commands));
    expect(registration?.body).toEqual(sent);
    expect(registration?.result.map((c) => c.name)).toEqual(["compose", "admin"]);
    expect(registration?.result.every((c) => /^\d+$/.test(c.id))).toBe(true);
    const [call] = emulator.callsTo("commands.guild.put");
    expect(call).toMatchObject({ method: "PUT", status: 200, body: sent });
  });

  it("slash command with attachment: defer, download seed, editReply with 4 files and a button", async () => {
    let seen: { seed: string; bars: number | null; temperature: number | null; limit: number } | undefined;
    on("compose", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      const seed = i.options.getAttachment("seed", true);
      const text = await (await fetch(seed.url)).text();
      seen = {
        seed: text,
        bars: i.options.getInteger("bars"),
        temperature: i.options.getNumber("temperature"),
        limit: i.attachmentSizeLimit,
      };
      await i.editReply({
        content: `Composed from ${seed.name}`,
        files: Object.entries(FILES).map(([name, attachment]) => ({ attachment, name })),
        components: [
          new ActionRowBuilder<ButtonBuilder>().addComponents(
            new ButtonBuilder().setCustomId("again").setLabel("Again").setStyle(ButtonStyle.Primary),
          ),
        ],
      });
    });

    const seed = emulator.addAttachment("seed.abc", "X:1\nK:G\nGABc dedB|\n");
    const run = emulator.slash("compose", { options: { seed, bars: 16, temperature: 1 } });

    expect(await run.deferred()).toBeLessThan(3000);
    const shown = await run.reply();
    expect(seen).toEqual({
      seed: "X:1\nK:G\nGABc dedB|\n",
      bars: 16,
      temperature: 1,
      limit: 10 * 1024 * 1024,
    });
    expect(shown.kind).toBe("edit");
    expect(shown.ephemeral).toBe(false);
    expect(shown.content).toBe("Composed from seed.abc");
    expect(shown.files.map((f) => f.name)).toEqual(Object.keys(FILES));
    for (const file of shown.files)
      expect(file.bytes.equals(FILES[file.name as keyof typeof FILES])).toBe(true);
    expect(shown.attachments.map((a) => [a.filename, a.size])).toEqual(
      Object.entries(FILES).map(([name, bytes]) => [name, bytes.length]),
    );
    expect(JSON.stringify(shown.components)).toContain('"custom_id":"again"');
    // Uploaded files are served back from the CDN, like real attachment URLs.
    const served = Buffer.from(await (await fetch(shown.attachments[2]?.url ?? "")).arrayBuffer());
    expect(served.equals(FILES["tune.mid"])).toBe(true);

    // Order on the wire: deferral callback first, then the @original edit.
    const mine = emulator.callsFor(run);
    expect(mine.map((c) => `${c.route}:${c.status}`)).toEqual([
      "interaction.callback:204",
      "webhook.editMessage:200",
    ]);
    expect(mine[0]?.body).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource });
    expect(mine[1]?.path).toMatch(/\/messages\/@original$/);
    expect(mine[1]?.rawPath).toMatch(/\/messages\/(%40|@)original$/);
    expect(emulator.cdnCalls.some((c) => c.attachmentId === seed.id && c.status === 200)).toBe(true);
  });

  it("button click answered with update()", async () => {
    on("button:again", async (i) => {
      if (i.isButton()) await i.update({ content: `Updated by ${i.user.username}`, components: [] });
    });
    const composed = emulator.slash("compose", { options: { seed: emulator.addAttachment("s.abc", "X:1") } });
    const message = await composed.reply();

    const click = emulator.click(message, "again");
    const update = await click.reply();
    expect(update.kind).toBe("update");
    expect(update.messageId).toBe(message.messageId);
    expect(update.content).toBe("Updated by fiddler");
    expect(emulator.message(message.messageId)?.components).toEqual([]);
    expect(click.callbacks[0]?.type).toBe(InteractionResponseType.UpdateMessage);
    // The button is gone now, so a second click is refused before it reaches the bot.
    expect(() => emulator.click(message, "again")).toThrow(/no component/);
  });

  it("ephemeral reply", async () => {
    on("ping", async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: "pong", flags: MessageFlags.Ephemeral });
    });
    const run = emulator.slash("ping");
    const shown = await run.reply();
    expect(shown).toMatchObject({ kind: "reply", content: "pong", ephemeral: true });
    expect(run.ephemeral).toBe(true);
    expect(run.callbacks[0]).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      flags: 64,
    });
  });

  it("reply with a file and withResponse, deferUpdate + editReply on a button, channel.send", async () => {
    let ephemeralFromResponse: boolean | undefined;
    on("card", async (i) => {
      if (!i.isChatInputCommand()) return;
      const response = await i.reply({
        content: "card",
        files: [{ attachment: Buffer.from("X:9"), name: "card.abc" }],
        components: [
          new ActionRowBuilder<ButtonBuilder>().addComponents(
            new ButtonBuilder().setCustomId("flip").setLabel("Flip").setStyle(ButtonStyle.Secondary),
          ),
        ],
        withResponse: true,
      });
      ephemeralFromResponse = response.resource?.message?.flags.has(MessageFlags.Ephemeral);
      if (i.channel?.isSendable())
        await i.channel.send({
          content: "posted",
          files: [{ attachment: Buffer.from("mid"), name: "p.mid" }],
        });
    });
    const run = emulator.slash("card");
    const shown = await run.reply();
    expect(shown.files.map((f) => [f.name, f.bytes.toString()])).toEqual([["card.abc", "X:9"]]);
    expect(shown.attachments[0]?.content_type).toBe("text/vnd.abc; charset=utf-8");
    const post = await emulator.waitForCall((c) => c.route === "channels.messages.create");
    expect(post).toMatchObject({ status: 200, authorized: true, body: { content: "posted" } });
    expect(post.files[0]?.name).toBe("p.mid");
    expect(ephemeralFromResponse).toBe(false);

    on("button:flip", async (i) => {
      if (!i.isButton()) return;
      await i.deferUpdate();
      await i.editReply({ content: "flipped" });
    });
    const click = emulator.click(shown, "flip");
    expect(await click.deferred()).toBeLessThan(3000);
    const edit = await click.reply();
    expect(edit).toMatchObject({ kind: "edit", messageId: shown.messageId, content: "flipped" });
    // Components were not in the edit body, so the button is still there.
    expect(JSON.stringify(emulator.message(shown.messageId)?.components)).toContain("flip");
  });

  it("a connection reset (RST) is retried by discord.js like a 5xx", async () => {
    emulator.faults.reset({ route: "webhook.editMessage" });
    const run = emulator.slash("compose", { options: { seed: emulator.addAttachment("s.abc", "X:4") } });
    await run.reply();
    const edits = emulator.callsFor(run).filter((c) => c.route === "webhook.editMessage");
    expect(edits.map((c) => [c.status, c.fault])).toEqual([
      [0, "reset"],
      [200, undefined],
    ]);
  });

  it("followups, including one that fills an ephemeral deferral", async () => {
    on("status", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply("queued");
      await i.followUp({ content: "done", flags: MessageFlags.Ephemeral });
    });
    const run = emulator.slash("status");
    const followup = await run.followup(0);
    expect(followup).toMatchObject({ kind: "followup", content: "done", ephemeral: true, isOriginal: false });
    expect((await run.reply()).content).toBe("queued");
    expect(emulator.callsTo("webhook.execute").at(-1)?.query).toMatchObject({ wait: "true" });

    on("slow-status", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.followUp("finished");
    });
    const deferred = emulator.slash("slow-status");
    const filled = await deferred.reply();
    expect(filled).toMatchObject({
      kind: "followup",
      content: "finished",
      ephemeral: true,
      isOriginal: true,
    });
  });

  it("subcommand from a member with an admin role", async () => {
    on("admin review", async (i) => {
      if (!i.isChatInputCommand()) return;
      const admin = i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
      await i.reply({ content: `${i.options.getSubcommand()}:${admin}`, flags: MessageFlags.Ephemeral });
    });
    const asAdmin = emulator.slash("admin review", {
      user: { id: "111111111111111111", roles: ["Tune Admin"] },
    });
    expect((await asAdmin.reply()).content).toBe("review:true");
    expect(asAdmin.payload.member?.roles).toEqual([emulator.roleId("Tune Admin")]);
    const asMember = emulator.slash("admin review");
    expect((await asMember.reply()).content).toBe("review:false");
  });

  it("autocomplete and a modal round trip", async () => {
    on("autocomplete:compose", async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      await i.respond(
        ["dorian", "mixolydian"].filter((m) => m.startsWith(typed)).map((m) => ({ name: m, value: m })),
      );
    });
    const ac = emulator.autocomplete("compose", { options: { mode: "dor" }, focused: "mode" });
    expect(await ac.autocomplete()).toEqual([{ name: "dorian", value: "dorian" }]);

    on("feedback", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.showModal(
        new ModalBuilder()
          .setCustomId("fb")
          .setTitle("Feedback")
          .addLabelComponents(
            new LabelBuilder()
              .setLabel("Which tune?")
              .setTextInputComponent(
                new TextInputBuilder().setCustomId("tune").setStyle(TextInputStyle.Short),
              ),
          ),
      );
    });
    on("modal:fb", async (i) => {
      if (i.isModalSubmit()) await i.reply(`thanks for ${i.fields.getTextInputValue("tune")}`);
    });
    const modal = await emulator.slash("feedback").modal();
    expect(modal.custom_id).toBe("fb");
    const submitted = emulator.submitModal(modal, { tune: "The Emulated Reel" });
    expect((await submitted.reply()).content).toBe("thanks for The Emulated Reel");
  });

  it("a 429 on the edit route is waited out and retried; the edit lands", async () => {
    emulator.faults.rateLimit({ route: "webhook.editMessage" }, { retryAfterMs: 300 });
    const run = emulator.slash("compose", { options: { seed: emulator.addAttachment("s.abc", "X:2") } });
    const shown = await run.reply();
    expect(shown.files).toHaveLength(4);
    const edits = emulator.callsFor(run).filter((c) => c.route === "webhook.editMessage");
    expect(edits.map((c) => [c.status, c.fault])).toEqual([
      [429, "rateLimit"],
      [200, undefined],
    ]);
    expect(edits[0]?.response).toEqual({
      message: "You are being rate limited.",
      retry_after: 0.3,
      global: false,
    });
    // discord.js waited retry-after (+ its 50 ms offset) before retrying, and re-sent the files.
    expect((edits[1]?.at ?? 0) - (edits[0]?.at ?? 0)).toBeGreaterThanOrEqual(300);
    expect(edits[1]?.files).toHaveLength(4);
  });

  it("a 500 is retried by discord.js; four in a row surface as HTTPError", async () => {
    emulator.faults.serverError({ route: "webhook.editMessage" });
    const run = emulator.slash("compose", { options: { seed: emulator.addAttachment("s.abc", "X:3") } });
    await run.reply();
    const edits = emulator.callsFor(run).filter((c) => c.route === "webhook.editMessage");
    expect(edits.map((c) => c.status)).toEqual([500, 200]);

    // rest.retries defaults to 3: 1 attempt + 3 retries, then the error reaches the handler.
    let failure: unknown;
    on("fragile", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await i.editReply("never").catch((error: unknown) => {
        failure = error;
      });
    });
    emulator.faults.serverError({ route: "webhook.editMessage" }, { times: 4 });
    const fragile = emulator.slash("fragile");
    await expect.poll(() => failure).toBeInstanceOf(HTTPError);
    expect((failure as HTTPError).status).toBe(500);
    expect(emulator.callsFor(fragile).filter((c) => c.route === "webhook.editMessage")).toHaveLength(4);
  });

  it("dropGateway(): the client resumes, missed interactions are replayed and answered", async () => {
    on("ping", async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: "pong", flags: MessageFlags.Ephemeral });
    });
    const resumed = emulator.gateway.waitForResume(5000);
    await emulator.dropGateway();
    // Injected while disconnected: buffered and replayed on RESUME, as Discord does.
    const missed = emulator.slash("ping");
    const resume = await resumed;
    expect(resume.replayed).toBeGreaterThanOrEqual(1);
    expect((await missed.reply()).content).toBe("pong");
    const reconnection = emulator.gateway.connections.find((c) => c.id === resume.connectionId);
    expect(reconnection?.path).toBe("/gateway/resume");
    expect(emulator.gateway.identifies).toHaveLength(1);

    // Same again with the TCP socket killed (close 1006), then a fresh interaction afterwards.
    const resumedAgain = emulator.gateway.waitForResume(5000);
    await emulator.dropGateway({ terminate: true });
    await resumedAgain;
    expect((await emulator.slash("ping").reply()).content).toBe("pong");
    expect(emulator.gateway.resumes.filter((r) => r.ok)).toHaveLength(2);
  });

  it("expired tokens: editReply rejects with 50027, a late callback with 10062", async () => {
    const editGate = gate();
    let editError: unknown;
    on("late-edit", async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await editGate.wait;
      await i.editReply("too late").catch((error: unknown) => {
        editError = error;
      });
    });
    const run = emulator.slash("late-edit");
    await run.deferred();
    run.expire();
    editGate.open();
    expect(await run.rejection()).toMatchObject({ what: "edit", status: 401, code: 50027 });
    await expect.poll(() => editError).toBeInstanceOf(DiscordAPIError);
    expect((editError as DiscordAPIError).code).toBe(50027);
    expect((editError as DiscordAPIError).status).toBe(401);

    const callbackGate = gate();
    let callbackError: unknown;
    on("late-defer", async (i) => {
      if (!i.isChatInputCommand()) return;
      await callbackGate.wait;
      await i.deferReply().catch((error: unknown) => {
        callbackError = error;
      });
    });
    const late = emulator.slash("late-defer");
    late.expire();
    callbackGate.open();
    expect(await late.rejection()).toMatchObject({ what: "callback", status: 404, code: 10062 });
    await expect.poll(() => callbackError).toBeInstanceOf(DiscordAPIError);
    expect((callbackError as DiscordAPIError).code).toBe(10062);
  });

  it("enforces the callback window (shrunk from 3 s to 100 ms here)", async () => {
    on("dawdle", async (i) => {
      if (!i.isChatInputCommand()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await i.deferReply().catch(() => {});
    });
    const original = emulator.timing.callbackWindowMs;
    emulator.timing.callbackWindowMs = 100;
    try {
      const run = emulator.slash("dawdle");
      const rejected = await run.rejection();
      expect(rejected).toMatchObject({ what: "callback", code: 10062 });
      expect(rejected.at).toBeGreaterThan(100);
      await expect(run.deferred(50)).rejects.toThrow(/timed out after 50 ms waiting for a deferral/);
    } finally {
      emulator.timing.callbackWindowMs = original;
    }
  });

  it("typed option helpers and declared types are enforced", async () => {
    expect(() => emulator.slash("compose", { options: { bars: "sixteen" } })).toThrow(/declared as type 4/);
    expect(() => emulator.slash("compose", { options: { tempo: 120 } })).toThrow(/no option "tempo"/);
    let received: [number | null, number | null] | undefined;
    on("unregistered", async (i) => {
      if (!i.isChatInputCommand()) return;
      received = [i.options.getNumber("t"), i.options.getInteger("n")];
      await i.reply("ok");
    });
    const typed = emulator.slash("unregistered", { options: { t: opt.number(1), n: 2 } });
    expect(typed.payload.data).toMatchObject({
      options: [
        { name: "t", type: 10, value: 1 },
        { name: "n", type: 4, value: 2 },
      ],
    });
    await typed.reply();
    expect(received).toEqual([1, 2]);
  });
});
