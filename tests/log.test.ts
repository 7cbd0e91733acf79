import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, type LoggerOptions, REDACTED, redactSecrets } from "../src/log.js";

const TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-token-value_0123456789";

function capture(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join("");
  const lines = () =>
    text()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, text, lines };
}

function jsonLogger(options: LoggerOptions = {}) {
  const out = capture();
  const logger = createLogger({ secrets: [TOKEN], ...options, destination: out.stream });
  return { logger, ...out };
}

describe("redactSecrets", () => {
  it("replaces every occurrence of each secret", () => {
    expect(redactSecrets(`a ${TOKEN} b ${TOKEN}`, [TOKEN])).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it("ignores secrets shorter than 8 characters", () => {
    expect(redactSecrets("a 1234567 b", ["1234567", "", "abc"])).toBe("a 1234567 b");
    expect(redactSecrets("a 12345678 b", ["12345678"])).toBe(`a ${REDACTED} b`);
  });

  it("replaces the longer of two overlapping secrets whole", () => {
    expect(redactSecrets("xx abcdefgh-12345678 yy", ["abcdefgh", "abcdefgh-12345678"])).toBe(
      `xx ${REDACTED} yy`,
    );
  });

  it("also replaces the JSON-escaped form of a secret", () => {
    const secret = 'pa"ss\\word-12';
    const line = JSON.stringify({ msg: `x ${secret} y` });
    expect(redactSecrets(line, [secret])).toBe(`{"msg":"x ${REDACTED} y"}`);
  });
});

describe("createLogger (JSON)", () => {
  it("writes JSON lines at the requested level", () => {
    const { logger, lines } = jsonLogger({ level: "warn" });
    logger.info("hidden");
    logger.warn({ tune: "The Kesh" }, "shown");
    const out = lines();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: 40, msg: "shown", tune: "The Kesh" });
  });

  it("redacts the token inside a message", () => {
    const { logger, text, lines } = jsonLogger();
    logger.info(`logging in with ${TOKEN} now`);
    expect(text()).not.toContain(TOKEN);
    expect(lines()[0]?.msg).toBe(`logging in with ${REDACTED} now`);
  });

  it("censors fields named token (top level and one level down) and other secret paths", () => {
    const { logger, text, lines } = jsonLogger({ secrets: [] });
    logger.info(
      {
        token: "some-field-token-value",
        user: { token: "nested-field-token-value", name: "ann" },
        password: "hunter22hunter22",
        headers: { authorization: "Bot abcdefghijklmnop", accept: "json" },
        config: { discordToken: "config-token-value" },
        DISCORD_TOKEN: "env-token-value-1234",
      },
      "fields",
    );
    const out = text();
    for (const value of [
      "some-field-token-value",
      "nested-field-token-value",
      "hunter22hunter22",
      "abcdefghijklmnop",
      "config-token-value",
      "env-token-value-1234",
    ]) {
      expect(out).not.toContain(value);
    }
    expect(lines()[0]).toMatchObject({
      token: REDACTED,
      user: { token: REDACTED, name: "ann" },
      password: REDACTED,
      headers: { authorization: REDACTED, accept: "json" },
      config: { discordToken: REDACTED },
      DISCORD_TOKEN: REDACTED,
    });
  });

  it("redacts the token value in a deeply nested field with an innocent name", () => {
    const { logger, text, lines } = jsonLogger();
    logger.info({ request: { body: { options: [{ value: `Bot ${TOKEN}` }] } } }, "sent");
    expect(text()).not.toContain(TOKEN);
    expect(lines()[0]).toMatchObject({ request: { body: { options: [{ value: `Bot ${REDACTED}` }] } } });
  });

  it("redacts the token in an Error's message and stack", () => {
    const { logger, text, lines } = jsonLogger();
    const error = new Error(`401 for token ${TOKEN}`);
    logger.error(error);
    logger.error({ err: error }, "login failed");
    logger.error({ cause: { err: new TypeError(`bad ${TOKEN}`) } }, "wrapped");
    expect(text()).not.toContain(TOKEN);
    const [first, second] = lines();
    const err = first?.err as { message: string; stack: string; type: string };
    expect(err.type).toBe("Error");
    expect(err.message).toBe(`401 for token ${REDACTED}`);
    expect(err.stack).toContain(`Error: 401 for token ${REDACTED}`);
    expect(first?.msg).toBe(`401 for token ${REDACTED}`);
    expect((second?.err as { stack?: string } | undefined)?.stack).toContain(
      `Error: 401 for token ${REDACTED}`,
    );
    expect(second?.msg).toBe("login failed");
  });

  it("redacts the token in a child logger's bindings", () => {
    const { logger, text, lines } = jsonLogger();
    const child = logger.child({ session: { id: 7, auth: TOKEN }, token: TOKEN });
    child.info("from child");
    child.child({ grand: `x${TOKEN}x` }).info("from grandchild");
    expect(text()).not.toContain(TOKEN);
    expect(lines()).toMatchObject([
      { session: { id: 7, auth: REDACTED }, token: REDACTED, msg: "from child" },
      { grand: `x${REDACTED}x`, msg: "from grandchild" },
    ]);
  });

  it("ignores short secrets so they cannot shred log lines", () => {
    const { logger, lines } = jsonLogger({ secrets: ["info", "a"] });
    logger.info("info about a tune");
    expect(lines()[0]).toMatchObject({ level: 30, msg: "info about a tune" });
  });

  it("picks up DISCORD_TOKEN from the environment without being told", () => {
    const previous = process.env.DISCORD_TOKEN;
    process.env.DISCORD_TOKEN = "env-only-token-abcdefgh";
    try {
      const out = capture();
      const logger = createLogger({ destination: out.stream });
      logger.info("token is env-only-token-abcdefgh");
      expect(out.text()).not.toContain("env-only-token-abcdefgh");
      expect(out.lines()[0]?.msg).toBe(`token is ${REDACTED}`);
    } finally {
      if (previous === undefined) delete process.env.DISCORD_TOKEN;
      else process.env.DISCORD_TOKEN = previous;
    }
  });
});

describe("createLogger (pretty)", () => {
  it("prints human-readable lines with secrets redacted", () => {
    const out = capture();
    const logger = createLogger({ pretty: true, destination: out.stream, secrets: [TOKEN] });
    logger.info({ token: "field-token-1234", nested: { deep: TOKEN } }, `hello ${TOKEN}`);
    logger.error(new Error(`boom ${TOKEN}`));
    logger.child({ binding: TOKEN }).warn("child line");
    const text = out.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("field-token-1234");
    expect(text).not.toContain('{"level"');
    expect(text).toContain(`INFO`);
    expect(text).toContain(`hello ${REDACTED}`);
    expect(text).toContain(`"deep": "${REDACTED}"`);
    expect(text).toContain(`token: "${REDACTED}"`);
    expect(text).toContain(`ERROR`);
    expect(text).toContain(`Error: boom ${REDACTED}`);
    expect(text).toContain(`binding: "${REDACTED}"`);
    expect(text).toContain("child line");
    expect(text).not.toContain("\u001b[");
  });
});
