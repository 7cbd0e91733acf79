/** The multipart parser against bodies serialised by undici's FormData (what discord.js sends). */
import { describe, expect, it } from "vitest";
import { multipartBoundary, parseMultipart } from "./multipart.js";

async function serialise(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const response = new Response(form);
  return {
    body: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get("content-type") ?? "",
  };
}

describe("parseMultipart", () => {
  it("recovers payload_json and binary files, including awkward bytes and names", async () => {
    const binary = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 31) % 256));
    const tricky = Buffer.from("line\r\n--not-a-boundary\r\n\r\nend\r\n");
    const form = new FormData();
    form.append("files[0]", new Blob([binary], { type: "audio/midi" }), "tune.mid");
    form.append("files[1]", new Blob([tricky]), 'we"ird\nname.txt');
    form.append("files[2]", new Blob([]), "empty.bin");
    form.append("payload_json", JSON.stringify({ content: "héllo", attachments: [{ id: "0" }] }));

    const { body, contentType } = await serialise(form);
    const boundary = multipartBoundary(contentType);
    expect(boundary).toBeDefined();
    const parts = parseMultipart(body, boundary ?? "");

    expect(parts.map((p) => [p.name, p.filename])).toEqual([
      ["files[0]", "tune.mid"],
      ["files[1]", 'we"ird\nname.txt'],
      ["files[2]", "empty.bin"],
      ["payload_json", undefined],
    ]);
    expect(parts[0]?.contentType).toBe("audio/midi");
    expect(parts[0]?.data.equals(binary)).toBe(true);
    expect(parts[1]?.data.equals(tricky)).toBe(true);
    expect(parts[2]?.data.length).toBe(0);
    expect(JSON.parse(parts[3]?.data.toString("utf8") ?? "")).toEqual({
      content: "héllo",
      attachments: [{ id: "0" }],
    });
  });

  it("rejects truncated bodies and ignores non-multipart content types", () => {
    expect(multipartBoundary("application/json")).toBeUndefined();
    expect(multipartBoundary('multipart/form-data; boundary="abc"')).toBe("abc");
    expect(() =>
      parseMultipart(Buffer.from('--abc\r\ncontent-disposition: form-data; name="x"\r\n\r\nhalf'), "abc"),
    ).toThrow(/closing boundary/);
  });
});
