// The pieces of an answer read aloud, the echo filter and what a person heard of an interrupted answer.
import { describe, expect, it } from "vitest";
import { FIRST_PIECE_WAIT_MS, SpeechChunker, speakable } from "@/lib/voice/chunker";
import { isEcho, RecentSpeech } from "@/lib/voice/echo-filter";
import { heardText } from "@/lib/voice/truncation";

function chunkAll(deltas: string[]): string[] {
  const c = new SpeechChunker();
  return [...deltas.flatMap((d) => c.push(d)), ...c.flush()];
}

describe("SpeechChunker", () => {
  it("cuts the first piece at the first clause of four words, then at sentence ends", () => {
    const text = "Well, the answer to that, as it happens, is forty two. It has been for years! Ask again?";
    const deltas = text.split(/(?<= )/);
    expect(chunkAll(deltas)).toEqual([
      "Well, the answer to that,",
      "as it happens, is forty two.",
      "It has been for years!",
      "Ask again?",
    ]);
  });

  it("hands out a piece as soon as it is complete, not at the end", () => {
    const c = new SpeechChunker();
    expect(c.push("Echo: what is six times seven")).toEqual([]);
    expect(c.push(".")).toEqual([]);
    expect(c.push(" And")).toEqual(["Echo: what is six times seven."]);
    expect(c.push(" more")).toEqual([]);
    expect(c.flush()).toEqual(["And more"]);
  });

  describe("a model slow to punctuate (timed first piece)", () => {
    it("cuts the first piece at the last whole word FIRST_PIECE_WAIT_MS after the first words", () => {
      const c = new SpeechChunker();
      expect(c.push("Echo: ", 0)).toEqual([]);
      expect(c.dueAt()).toBe(FIRST_PIECE_WAIT_MS);
      expect(c.push("what ", 15)).toEqual([]);
      expect(c.push("is ", 30)).toEqual([]);
      expect(c.push("six ", FIRST_PIECE_WAIT_MS + 5)).toEqual(["Echo: what is six"]);
      expect(c.dueAt()).toBeUndefined();
      expect(c.push("times ", 60)).toEqual([]);
      expect(c.push("seven", 75)).toEqual([]);
      expect(c.flush()).toEqual(["times seven"]);
    });

    it("waits for four whole words, and never cuts inside a word", () => {
      const c = new SpeechChunker();
      expect(c.push("One two thr", 0)).toEqual([]);
      expect(c.due(100)).toEqual([]);
      expect(c.push("ee fo", 110)).toEqual([]);
      expect(c.push("ur fi", 120)).toEqual(["One two three four"]);
      expect(c.flush()).toEqual(["fi"]);
    });

    it("is cut by the clock when the model pauses (due), and only once", () => {
      const c = new SpeechChunker();
      c.push("Let me look that up ", 0);
      expect(c.due(FIRST_PIECE_WAIT_MS - 1)).toEqual([]);
      expect(c.due(FIRST_PIECE_WAIT_MS)).toEqual(["Let me look that up"]);
      expect(c.push("for you right now and then ", 200)).toEqual([]);
      expect(c.due(1000)).toEqual([]);
      expect(c.push("tell you. Done", 300)).toEqual(["for you right now and then tell you."]);
    });

    it("prefers punctuation that comes in time, and keeps code, links and emphasis whole", () => {
      expect(new SpeechChunker().push("Well, the answer to that, is", 100)).toEqual([
        "Well, the answer to that,",
      ]);
      const link = new SpeechChunker();
      link.push("See the [full release notes for ", 0);
      expect(link.due(500)).toEqual([]);
      const bold = new SpeechChunker();
      bold.push("This is **really very important ", 0);
      expect(bold.due(500)).toEqual([]);
      const code = new SpeechChunker();
      code.push("Run this one line `npm ci --omit ", 0);
      expect(code.due(500)).toEqual([]);
    });

    it("has no clock without one: push(delta) alone never cuts early", () => {
      const c = new SpeechChunker();
      expect(c.push("Echo: what is six times ")).toEqual([]);
      expect(c.dueAt()).toBeUndefined();
    });
  });

  it("does not cut inside numbers or abbreviations", () => {
    expect(chunkAll(["Pi is about 3.14 and e.g. this stays whole. Next one."])).toEqual([
      "Pi is about 3.14 and e.g. this stays whole.",
      "Next one.",
    ]);
  });

  it("skips code blocks, even split across deltas, and reads Markdown as plain words", () => {
    expect(
      chunkAll([
        "## Result\n\nHere is **the** list:\n\n- one\n- two\n\nAnd some code:\n\n``",
        "`python\nprint(1)\n",
        "```\nDone now.",
      ]),
    ).toEqual(["Result", "Here is the list:", "one", "two", "And some code:", "Done now."]);
  });

  it("cuts a run with no sentence end at a space", () => {
    const pieces = chunkAll(["word ".repeat(120)]);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => p.length <= 240)).toBe(true);
    expect(pieces.join(" ").split(" ").length).toBe(120);
  });

  it("reads links by their text and URLs as a link", () => {
    expect(speakable("See [the docs](https://x.y/z) or https://a.b/c now")).toBe(
      "See the docs or a link now",
    );
  });
});

describe("echo filter", () => {
  it("drops a transcript that repeats the agent's recent words", () => {
    expect(isEcho("what is six times", ["Echo: what is six times seven."])).toBe(true);
    expect(isEcho("What is six times seven?", ["Echo: what is six times seven."])).toBe(true);
  });
  it("keeps the person's own words", () => {
    expect(isEcho("stop talking please", ["Echo: what is six times seven."])).toBe(false);
    expect(isEcho("six what", ["Echo: what is six times seven."])).toBe(false);
    expect(isEcho("", ["anything"])).toBe(false);
  });
  it("forgets what was said more than five seconds ago", () => {
    const recent = new RecentSpeech();
    recent.add("the sea was calm", 1_000);
    expect(recent.at(5_000)).toEqual(["the sea was calm"]);
    expect(recent.at(6_001)).toEqual([]);
  });
});

describe("heardText", () => {
  const pieces = [
    { text: "Once upon a time,", startMs: 0, durationMs: 1000 },
    { text: "there was a calm sea.", startMs: 1000, durationMs: 1000 },
    { text: "The end.", startMs: 2000, durationMs: 500 },
  ];
  it("keeps whole pieces that played and the played share of the current one", () => {
    expect(heardText(pieces, 1500)).toBe("Once upon a time, there was");
    expect(heardText(pieces, 1000)).toBe("Once upon a time,");
    expect(heardText(pieces, 5000)).toBe("Once upon a time, there was a calm sea. The end.");
  });
  it("is empty when nothing played", () => {
    expect(heardText(pieces, 0)).toBe("");
    expect(heardText(pieces, 100)).toBe("");
  });
});
