import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAbc, parseAbcFile } from "../../src/music/abc-read.js";
import { midiOf } from "../../src/music/pitch.js";
import { formatRational, rat } from "../../src/music/rational.js";
import { type NoteElement, type Tune, withoutChords } from "../../src/music/tune.js";
import { abcRefusal } from "../helpers/abc.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

function tune(body: string, header = "M:4/4\nL:1/8\nK:C"): Tune {
  return parseAbc(`X:1\nT:t\n${header}\n${body}\n`);
}
const notesOf = (t: Tune) => t.elements.filter((e): e is NoteElement => e.kind === "note");
const midis = (t: Tune) => notesOf(t).map((n) => midiOf(n.pitch));
const lengths = (t: Tune) => t.elements.flatMap((e) => ("duration" in e ? [formatRational(e.duration)] : []));
const bars = (t: Tune) =>
  t.elements.flatMap((e) => (e.kind === "bar" ? [e.bar] : e.kind === "ending" ? [`[${e.numbers}`] : []));

describe("ABC header", () => {
  it("reads title, meter, unit, tempo and key", () => {
    const t = parseAbc(
      "X:7\nT:First\nT:Second\nM:6/8\nL:1/16\nQ:3/8=110\nR:jig\nZ:someone\nN:a note\nB:a book\nK:A Dorian\nA|]\n",
    );
    expect(t.title).toBe("First");
    expect(t.meter).toEqual({ num: 6, den: 8 });
    expect(t.unitLength).toEqual(rat(1, 16));
    expect(t.tempo).toEqual({ bpm: 110, beat: rat(3, 8) });
    expect(t.key).toEqual({ tonic: { step: 5, alter: 0 }, mode: "dorian" });
  });

  it.each([
    ["D", 1, 0, "major"],
    ["Gm", 4, 0, "minor"],
    ["D Major", 1, 0, "major"],
    ["A Dorian", 5, 0, "dorian"],
    ["Amix", 5, 0, "mixolydian"],
    ["AMix", 5, 0, "mixolydian"],
    ["F#m", 3, 1, "minor"],
    ["Bb", 6, -1, "major"],
    ["E Minor", 2, 0, "minor"],
    ["Ador", 5, 0, "dorian"],
  ])("K:%s", (k, step, alter, mode) => {
    const t = tune("C|]", `M:4/4\nL:1/8\nK:${k}`);
    expect(t.key.mode).toBe(mode);
    expect(t.key.tonic).toEqual({ step, alter });
  });

  it("reads C and C| meters and defaults L to 1/16 below 3/4", () => {
    expect(tune("C|]", "M:C\nK:C").meter).toEqual({ num: 4, den: 4 });
    expect(tune("C|]", "M:C|\nK:C").meter).toEqual({ num: 2, den: 2 });
    expect(tune("C|]", "M:2/4\nK:C").unitLength).toEqual(rat(1, 16));
    expect(tune("C|]", "M:3/4\nK:C").unitLength).toEqual(rat(1, 8));
  });
});

describe("ABC notes", () => {
  it("applies the key signature, bar-scoped accidentals per octave, and octave marks", () => {
    // D major: F and C are sharp. ^g lasts to the bar line, only in its octave.
    const t = tune("F c =F F ^g g G | g C, c' _B __B ^^C|]", "M:4/4\nL:1/8\nK:D");
    expect(midis(t)).toEqual([66, 73, 65, 65, 80, 80, 67, 79, 49, 85, 70, 69, 62]);
  });

  it("reads lengths 2 /2 3/2 / // and 3/", () => {
    expect(lengths(tune("A2 A/2 A3/2 A/ A// A3/ A|]"))).toEqual([
      "1/4",
      "1/16",
      "3/16",
      "1/16",
      "1/32",
      "3/16",
      "1/8",
    ]);
  });

  it("reads broken rhythm > < and >>", () => {
    expect(lengths(tune("A>B A<B A>>B A2>B2|]"))).toEqual([
      "3/16",
      "1/16",
      "1/16",
      "3/16",
      "7/32",
      "1/32",
      "3/8",
      "1/8",
    ]);
  });

  it("reads triplets, (p:q:r tuplets and ties", () => {
    const t = tune("(3ABc (3:2:2A2B (5:4:5ABcde A-A|]");
    expect(lengths(t)).toEqual([
      "1/12",
      "1/12",
      "1/12",
      "1/6",
      "1/12",
      "1/10",
      "1/10",
      "1/10",
      "1/10",
      "1/10",
      "1/8",
      "1/8",
    ]);
    expect(t.elements.filter((e) => e.kind === "tuplet")).toEqual([
      { kind: "tuplet", p: 3, q: 2, r: 3 },
      { kind: "tuplet", p: 3, q: 2, r: 2 },
      { kind: "tuplet", p: 5, q: 4, r: 5 },
    ]);
    expect(notesOf(t).at(-2)?.tie).toBe(true);
    expect(notesOf(t).at(-1)?.tie).toBeUndefined();
  });

  it("uses q=3 for (5 in compound meter", () => {
    expect(lengths(tune("(5ABcde z|]", "M:6/8\nL:1/8\nK:C")).slice(0, 1)).toEqual(["3/40"]);
  });

  it("reads rests, and x as an invisible rest", () => {
    expect(tune("z2 x A|]").elements.slice(0, 2)).toEqual([
      { kind: "rest", duration: rat(1, 4) },
      { kind: "rest", duration: rat(1, 8) },
    ]);
  });

  it("keeps the top note of a chord with the chord's length", () => {
    const t = tune("[CEG]2 [ce]/2 [G,C]|]");
    expect(midis(t)).toEqual([67, 76, 60]);
    expect(lengths(t)).toEqual(["1/4", "1/16", "1/8"]);
  });

  it("ignores grace notes, annotations, decorations and slurs; keeps chord symbols on their notes", () => {
    const plain = tune("ABc d2e|]");
    const decorated = tune('"Am"{g}A.B~c !trill!(d2 "^ann"Te)|]');
    expect(withoutChords(decorated).elements).toEqual(plain.elements);
    expect(decorated.elements[0]).toMatchObject({
      kind: "note",
      chord: { root: { step: 5, alter: 0 }, quality: "min" },
    });
    expect(decorated.elements.filter((e) => e.kind === "note" && e.chord)).toHaveLength(1);
  });

  it("treats ! at line end as a line break and \\ as a continuation", () => {
    const t = parseAbc("X:1\nM:4/4\nL:1/8\nK:G\nABcd efga|!\nbagf edcB|\\\nA8|]\n");
    expect(notesOf(t)).toHaveLength(17);
  });

  it("folds a key change into accidentals", () => {
    const t = tune("F|\nK:D\nF|[K:Bb]B|]", "M:4/4\nL:1/8\nK:C");
    expect(midis(t)).toEqual([65, 66, 70]);
    expect(t.key.tonic.step).toBe(0);
  });
});

describe("ABC as other collections write it", () => {
  it("reads the first voice of several (V: lines and [V:] inline) and leaves the others out", () => {
    const melody = "X:1\nT:t\nM:4/4\nL:1/8\nK:D\nABcd efga|]\n";
    const voices = parseAbcFile(
      'X:1\nT:t\nM:4/4\nL:1/8\nV:T name="Tune"\nV:B clef=bass\nK:D\nV:T\nABcd\nV:B\nK:F clef=bass\nD,8|\n[V:T] efga|]\n[V:B] A,8|]\n',
    )[0]?.result;
    expect(voices?.ok && voices.tune.elements).toEqual(parseAbc(melody).elements);
    expect(voices?.ok && voices.repairs).toContain("kept the first voice (V:T) and left out the others");
    // Voices named only in the body: the first one met is the melody.
    expect(tune("V:1\nABcd efga|\nV:2\nD8|\nV:1\nABcd efga|]").elements).toEqual(
      tune("ABcd efga|ABcd efga|]").elements,
    );
    // Music before any V: is the default voice 1.
    expect(tune("ABcd efga|\nV:2\nD8|\nV:1\nABcd efga|]").elements).toEqual(
      tune("ABcd efga|ABcd efga|]").elements,
    );
  });

  it("keeps the part before a voice overlay (&) in each bar", () => {
    expect(tune("ABcd efga & D8|ABcd efga|]").elements).toEqual(tune("ABcd efga|ABcd efga|]").elements);
  });

  it("reads K:none (key from the notes), the bagpipe keys, extra and explicit accidentals", () => {
    // Without a signature, F is F natural: G mixolydian.
    const none = tune("GABc dBGB|ABcB AGFG|G8|]", "M:4/4\nL:1/8\nK:none");
    expect(none.key).toEqual({ tonic: { step: 4, alter: 0 }, mode: "mixolydian" });
    expect(tune("GABc dBGB|ABcB AG^FG|G8|]", "M:4/4\nL:1/8\nK:none").key.mode).toBe("major");
    expect(midis(none).slice(0, 4)).toEqual([67, 69, 71, 72]);
    for (const pipes of ["HP", "Hp"]) {
      const t = tune("Acef g2a2|]", `M:4/4\nL:1/8\nK:${pipes}`);
      expect(t.key).toEqual({ tonic: { step: 5, alter: 0 }, mode: "mixolydian" });
      expect(midis(t)).toEqual([69, 73, 76, 78, 79, 81]);
    }
    expect(midis(tune("fga|]", "M:3/4\nL:1/8\nK:D ^g"))).toEqual([78, 80, 81]);
    const explicit = tune("cfg|]", "M:3/4\nL:1/8\nK:D exp ^f");
    expect(explicit.key).toEqual({ tonic: { step: 1, alter: 0 }, mode: "major" });
    expect(midis(explicit)).toEqual([72, 78, 79]);
  });

  it("reads additive meters, a byte order mark, continued titles, the old E: field, |:| and *", () => {
    expect(tune("ABcde|]", "M:2+3/8\nL:1/8\nK:C").meter).toEqual({ num: 5, den: 8 });
    expect(tune("ABcdefg|]", "M:(2+2+3)/8\nL:1/8\nK:C").meter).toEqual({ num: 7, den: 8 });
    expect(parseAbcFile("\ufeffX:1\nT:Bom\nK:C\nC|]\n")[0]?.result.ok).toBe(true);
    expect(parseAbc("X:1\nT:The Long\n+:Title\nE:7\nK:C\nC|]\n").title).toBe("The Long Title");
    expect(bars(tune("|:ABcd efga|:|ABcd efga|]*"))).toEqual(["|:", ":|", "|]"]);
  });
});

describe("ABC bars and repeats", () => {
  it("normalises bar lines and endings", () => {
    const t = tune("|:A|B:|[1 c:|[2 d|1 e:|2 f||g|]A[|B::c:||d|]");
    expect(bars(t)).toEqual([
      "|:",
      "|",
      ":|",
      "[1",
      ":|",
      "[2",
      "|",
      "[1",
      ":|",
      "[2",
      "||",
      "|]",
      "||",
      "::",
      ":|",
      "|]",
    ]);
  });
});

describe("ABC files", () => {
  it("splits on X: and parses every fixture tune", () => {
    const results = parseAbcFile(fixture("tunes.abc"));
    expect(results.map((r) => r.ref.title)).toEqual([
      "Test Jig in D",
      "Test Reel in A Dorian",
      "Test Air in G minor",
      "Test Polka with L 1/16",
    ]);
    for (const r of results) expect(r.result.ok, r.result.ok ? "" : r.result.error.message).toBe(true);
  });

  it("reports each broken tune with its name, position and reason", () => {
    const results = parseAbcFile(fixture("broken.abc"));
    const errors = results.map((r) => (r.result.ok ? undefined : r.result.error));
    expect(errors.map((e) => e?.code)).toEqual([
      "missing-key",
      "bad-duration",
      "bad-tuplet",
      "unterminated",
      "no-notes",
    ]);
    expect(errors[1]?.message).toBe(
      'ABC tune "Odd Length" (X:2) at line 11, column 13: unreadable note length "0"',
    );
    expect(errors[1]?.position).toEqual({ line: 11, column: 13 });
    expect(errors[2]?.tune).toEqual({ index: 2, x: "3", title: "Nested Tuplets" });
  });

  it("accepts a pasted tune without X:", () => {
    expect(notesOf(parseAbc("T:Pasted\nM:3/4\nK:G\nGAB|]"))).toHaveLength(3);
  });
});

describe("ABC errors", () => {
  it.each([
    ["", "no-tune"],
    ["just some text\nwithout music", "no-tune"],
    ["X:1\nT:x\nK:C\n", "no-notes"],
    ["X:1\nK:C\nABC [CEG", "unterminated"],
    ["X:1\nK:C\nABC {ga", "unterminated"],
    ['X:1\nK:C\nABC "Am', "unterminated"],
    ["X:1\nK:C\nC999999|", "bad-duration"],
    ["X:1\nK:C\nC0|", "bad-duration"],
    ["X:1\nM:7/5\nK:C\nC|", "bad-meter"],
    ["X:1\nK:Q\nC|", "bad-key"],
    ["X:1\nK:D xyzzy\nC|", "bad-key"],
    ["X:1\nK:C\n(3AB", "bad-tuplet"],
    ["X:1\nK:C\n(3(3ABC", "bad-tuplet"],
    ["X:1\nK:C\nA\u0007B", "unexpected-symbol"],
    ["X:1\nK:C\nA>>>>B", "unexpected-symbol"],
  ])("%j → %s", (text, code) => {
    expect(abcRefusal(text).code).toBe(code);
  });

  it("refuses tunes above the note limit", () => {
    const huge = `X:1\nM:4/4\nL:1/8\nK:C\n${"CDEF GABc|".repeat(100_000)}`;
    expect(() => parseAbc(huge, { maxNotes: 20_000 })).toThrow(/more than 20000 notes/);
  });
});
