import toneMidi from "@tonejs/midi";
import { describe, expect, it } from "vitest";
import { parseAbc, parseAbcFile, readAbc } from "../../src/music/abc-read.js";
import { tuneToAbc } from "../../src/music/abc-write.js";
import { checkBars } from "../../src/music/bar-check.js";
import { importTune } from "../../src/music/import.js";
import { tuneToMidi } from "../../src/music/midi-write.js";
import { midiOf } from "../../src/music/pitch.js";
import { formatRational } from "../../src/music/rational.js";
import { tuneToTokens } from "../../src/music/tokens.js";
import { lastMeter, type NoteElement, splitAtLastMeter, type Tune } from "../../src/music/tune.js";
import { abcRefusal } from "../helpers/abc.js";

/**
 * What other collections write and abcjs reads past: read, with what was passed over
 * named; only what cannot be a tune is refused. Each case is a small hand-written tune.
 */

const HEADER = "X:1\nT:t\nM:4/4\nL:1/8\nK:C";
const read = (body: string, header = HEADER) => readAbc(`${header}\n${body}\n`);
const notesOf = (t: Tune) => t.elements.filter((e): e is NoteElement => e.kind === "note");
const midis = (t: Tune) => notesOf(t).map((n) => midiOf(n.pitch));
const music = (t: Tune) =>
  t.elements.map((e) =>
    e.kind === "note"
      ? `${midiOf(e.pitch)}:${formatRational(e.duration)}`
      : e.kind === "rest"
        ? `z:${formatRational(e.duration)}`
        : e.kind === "bar"
          ? e.bar
          : e.kind === "meter"
            ? `M${e.meter.num}/${e.meter.den}`
            : e.kind,
  );

describe("fields the reader does not model", () => {
  it("reads past an unknown header field before K: (Y: playing order), with a note", () => {
    const r = readAbc("X:1\nT:t\nY:AAB\nM:4/4\nL:1/8\nJ:whatever\nK:G\nGABc d4|]\n");
    expect(midis(r.tune)).toEqual([67, 69, 71, 72, 74]);
    expect(r.ignored).toEqual(["playing order (Y:)", "field J:"]);
    expect(r.repairs).toContain("ignored what Tunesmith does not model: playing order (Y:), field J:");
  });

  it("reads past P: part labels in the body, as lines and inline", () => {
    const r = read("P:A\nABcd efga|\nP:B\n[P:B]gfed cBAG|]");
    expect(r.tune.elements).toEqual(read("ABcd efga|\ngfed cBAG|]").tune.elements);
    expect(r.ignored).toEqual(["parts (P:)"]);
  });

  it("reads past unknown fields in the body and words, and notes tempo changes", () => {
    const r = read(
      "ABcd efga|\nW:some words\nX2:|\nQ:1/4=90\nABcd efga|]",
      `${HEADER.replace("K:C", "Q:1/4=120\nK:C")}`,
    );
    expect(notesOf(r.tune)).toHaveLength(16);
    expect(r.tune.tempo?.bpm).toBe(120);
    expect(r.ignored).toContain("words (W:)");
    expect(r.ignored).toContain("tempo changes (Q:)");
  });
});

describe("decorations and symbols", () => {
  it("passes over decoration letters it does not know, declared with U: or not", () => {
    const r = read("kABc RdUe|VfgTa2|]", `X:1\nT:t\nM:4/4\nL:1/8\nU:k=!roll!\nK:C`);
    expect(midis(r.tune)).toEqual([69, 71, 72, 74, 76, 77, 79, 81]);
    // k was declared, so it is a decoration; R, U and V are decoration letters nobody declared.
    expect(r.ignored).toEqual(["decoration R", "decoration U", "decoration V"]);
  });

  it("passes over stray symbols, as abcjs does, but refuses control characters", () => {
    const r = read("AB#c d;ef|]");
    expect(midis(r.tune)).toEqual([69, 71, 72, 74, 76, 77]);
    expect(r.ignored).toEqual(["symbol #", "symbol ;"]);
    expect(abcRefusal(`${HEADER}\nA\u0007B|]`).message).toMatch(
      /line 6, column 2: unexpected control character/,
    );
  });

  it("passes over an accidental before a rest or a bar line", () => {
    const r = read("AB^z2 c=|d8|]");
    expect(music(r.tune)).toEqual(["69:1/8", "71:1/8", "z:1/4", "72:1/8", "|", "74:1", "|]"]);
    expect(r.ignored).toEqual(["accidentals without a note"]);
  });

  it("reads rests inside chords: passed over next to notes, a rest on their own", () => {
    const r = read("AB[zc]d [z2]c2 [CEG]2|]");
    expect(music(r.tune)).toEqual([
      "69:1/8",
      "71:1/8",
      "72:1/8",
      "74:1/8",
      "z:1/4",
      "72:1/4",
      "67:1/4",
      "|]",
    ]);
    expect(r.ignored).toEqual(["rests in chords"]);
    expect(r.repairs).toContain("chords reduced to their top note");
  });

  it("reads a tie that follows no note, a broken rhythm across a bar line and an empty chord", () => {
    const r = read("ABcd efg>|a [] B3 c2 d2|-e8|]");
    expect(music(r.tune).slice(6, 10)).toEqual(["79:3/16", "|", "81:1/16", "71:3/8"]);
    expect(music(r.tune).slice(-3)).toEqual(["|", "76:1", "|]"]);
    expect(r.ignored).toEqual(["empty chords []", "ties (-) not after a note"]);
    expect(read("ABcd efg>|]").ignored).toEqual(["a broken rhythm (>) with no note after it"]);
  });
});

describe("bar lines", () => {
  it("reads :], |:|, [|] and unusual runs as the nearest bar line", () => {
    const r = read("|:ABcd efga:]|:ABcd efga|:|ABcd[|]efga|]|:ABcd efga:|:|");
    const bars = r.tune.elements.flatMap((e) => (e.kind === "bar" ? [e.bar] : []));
    expect(bars).toEqual(["|:", ":|", "|:", ":|", "|]", "|:", ":|"]);
    expect(r.ignored).toEqual(["invisible bar lines [|]", "bar line :|:| (read as :|)"]);
    expect(checkBars(r.tune).ok).toBe(true);
  });
});

describe("meter changes", () => {
  const waltz = "X:1\nT:w\nM:3/4\nL:1/8\nK:G\nG2 A2 B2|c2 B2 A2|\nM:2/4\nG2 A2|[M:3/4]B2 c2 d2|g6|]\n";

  it("keeps them in the tune, where they are written, and checks bars against the meter in force", () => {
    const r = readAbc(waltz);
    expect(r.tune.meter).toEqual({ num: 3, den: 4 });
    expect(music(r.tune).filter((m) => m.startsWith("M") || m === "|")).toEqual([
      "|",
      "|",
      "M2/4",
      "|",
      "M3/4",
      "|",
    ]);
    expect(lastMeter(r.tune)).toEqual({ num: 3, den: 4 });
    expect(r.ignored).toEqual([]);
    expect(checkBars(r.tune)).toEqual({ ok: true, bars: 5, problems: [] });
    // The 2/4 bar would be short in 3/4, the 3/4 bars long in 2/4.
    const wrong = readAbc(waltz.replace("M:2/4", "M:3/4")).tune;
    expect(checkBars(wrong).ok).toBe(false);
  });

  it("a meter line after K: and before the music is the tune's meter, not a change", () => {
    const t = parseAbc("X:1\nT:t\nM:4/4\nL:1/8\nK:D\nM:6/8\nABc def|]\n");
    expect(t.meter).toEqual({ num: 6, den: 8 });
    expect(t.elements.some((e) => e.kind === "meter")).toBe(false);
  });

  it("writes them back in ABC and reads the same tune", () => {
    const t = parseAbc(waltz);
    const abc = tuneToAbc(t);
    expect(abc).toContain("[M:2/4]");
    expect(parseAbc(abc)).toEqual(t);
  });

  it("writes a MIDI time signature where each meter starts sounding, repeats expanded", () => {
    const t = parseAbc("X:1\nT:t\nM:3/4\nL:1/4\nK:C\n|:CDE|[M:2/4]FG:|[M:3/4]ABc|]\n");
    const header = new toneMidi.Midi(tuneToMidi(t)).header;
    // 3/4 + 2/4 played twice: the second 3/4 bar begins at 2 × 5 quarters.
    expect(header.timeSignatures.map((s) => [s.ticks / 480, s.timeSignature])).toEqual([
      [0, [3, 4]],
      [3, [2, 4]],
      [5, [3, 4]],
      [8, [2, 4]],
      [10, [3, 4]],
    ]);
  });

  it("are not in the model's tokens: tokens refuse them, and a tune is split at its last one", () => {
    const t = parseAbc(waltz);
    expect(() => tuneToTokens(t)).toThrow(/cannot change meter mid-tune/);
    const { head, tail } = splitAtLastMeter(t);
    expect(head.at(-1)).toEqual({ kind: "meter", meter: { num: 3, den: 4 } });
    expect(tail.meter).toEqual({ num: 3, den: 4 });
    expect(tuneToTokens(tail).slice(0, 2)).toEqual(["<s>", "M:3/4"]);
  });

  it("reach the sender of a seed or submission as a note", () => {
    const imported = importTune(new TextEncoder().encode(waltz.replace("K:G", "Y:AB\nK:G")));
    expect(imported.tune.elements.some((e) => e.kind === "meter")).toBe(true);
    expect(imported.notes).toEqual(["ignored what Tunesmith does not model: playing order (Y:)"]);
  });

  it("still refuses an unreadable meter, with line and column", () => {
    const error = abcRefusal("X:1\nT:t\nM:4/4\nK:C\nABcd|\nM:7/5\nABcd|]\n");
    expect(error.code).toBe("bad-meter");
    expect(error.position).toEqual({ line: 6, column: 3 });
  });
});

describe("keys as ABC 2.1 reads them", () => {
  it("takes only the first three letters of a mode", () => {
    expect(parseAbc("X:1\nK:Dmixm\nDEF|]\n").key).toEqual({
      tonic: { step: 1, alter: 0 },
      mode: "mixolydian",
    });
    expect(parseAbc("X:1\nK:E minor\nEFG|]\n").key.mode).toBe("minor");
    expect(abcRefusal("X:1\nK:Bn\nB|]\n").code).toBe("bad-key");
  });
});

describe("what abcjs reads although ABC 2.1 frowns on it", () => {
  it("reads music before (or without) a K: field without a key signature, the key judged from the notes", () => {
    const r = readAbc("X:1\nT:t\nM:4/4\nL:1/8\nGABc dBGB|ABcB AG^FG|G8|]\n");
    expect(r.tune.key).toEqual({ tonic: { step: 4, alter: 0 }, mode: "major" });
    expect(midis(r.tune).slice(0, 4)).toEqual([67, 69, 71, 72]);
    expect(r.ignored).toEqual(["music before the K: field (read without a key signature)"]);
    // A header with neither key nor music is still no tune.
    expect(abcRefusal("X:1\nT:t\nM:4/4\n% nothing\n").code).toBe("missing-key");
  });

  it("takes L:, M: and U: from the file header (before the first X:), each tune's own header first", () => {
    const file =
      "%abc-2.1\nL:1/4\nM:3/4\nU:k=!roll!\n\nX:1\nT:a\nK:G\nkGAB|]\n\nX:2\nT:b\nL:1/8\nK:G\nGAB|]\n";
    const [a, b] = parseAbcFile(file).map((t) => (t.result.ok ? t.result : undefined));
    expect(a?.tune.meter).toEqual({ num: 3, den: 4 });
    expect(music(a?.tune as Tune)).toEqual(["67:1/4", "69:1/4", "71:1/4", "|]"]);
    expect(a?.ignored).toEqual([]);
    expect(b?.tune.unitLength).toEqual({ n: 1, d: 8 });
    expect(music(b?.tune as Tune)[0]).toBe("67:1/8");
  });

  it("reads a line continuation followed by a comment", () => {
    expect(notesOf(read("ABcd|\\ % more below\nefga|]").tune)).toHaveLength(8);
  });
});
