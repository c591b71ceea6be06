// What the agent says aloud, cut from the streamed answer: the first piece at the first clause that
// has at least four words (so speech starts early), then whole sentences. Markdown marks are not
// read, code blocks are skipped, links are read by their text.

const FIRST_MIN_WORDS = 4;
/** A run this long without a sentence end is cut at its last space. */
const MAX_CHARS = 240;

const CLAUSE_END = /[,;:\u2014](?=\s)/g;
const SENTENCE_END = /[.!?\u2026]+["')\]]*(?=\s)|\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)/g;

/** Text fit to be read aloud: no code, no Markdown marks, no URLs. */
export function speakable(text: string): string {
  return text
    .replace(/```[\s\S]*?(```|$)/g, " ")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/https?:\/\/\S+/g, "a link")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/^\s{0,3}#{1,6}\s+/gm, "")
    .replace(/^\s*(?:[-*+]|\d+\.)\s+/gm, "")
    .replace(/^\s*>\s?/gm, "")
    .replace(/\|/g, " ")
    .replace(/(\*\*|__|\*|_|~~)(?=\S)([^*_~]+?)\1/g, "$2")
    .replace(/\s+/g, " ")
    .trim();
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

export class SpeechChunker {
  private raw = "";
  /** How much of `raw` has been handed out. */
  private taken = 0;
  private first = true;

  /** Adds streamed text; returns the pieces now ready to be spoken (possibly none). */
  push(delta: string): string[] {
    this.raw += delta;
    const out: string[] = [];
    for (;;) {
      const cut = this.nextCut();
      if (cut === undefined) break;
      this.emit(this.raw.slice(this.taken, cut), out);
      this.taken = cut;
    }
    return out;
  }

  /** The rest, at the end of the answer. */
  flush(): string[] {
    const out: string[] = [];
    this.emit(this.raw.slice(this.taken), out);
    this.taken = this.raw.length;
    return out;
  }

  private emit(piece: string, out: string[]) {
    const text = speakable(piece);
    if (/[\p{L}\p{N}]/u.test(text)) {
      out.push(text);
      this.first = false;
    }
  }

  /** Where the next piece ends in `raw`, or undefined if it is not complete yet. */
  private nextCut(): number | undefined {
    let rest = this.raw.slice(this.taken);
    // An open code block holds everything after it back until it closes; a closed one is one piece.
    const fence = rest.indexOf("```");
    if (fence >= 0) {
      const close = rest.indexOf("```", fence + 3);
      if (fence === 0) return close < 0 ? undefined : this.taken + close + 3;
      rest = rest.slice(0, fence);
      const cut = this.cutIn(rest, true);
      return this.taken + (cut ?? fence);
    }
    const cut = this.cutIn(rest, false);
    return cut === undefined ? undefined : this.taken + cut;
  }

  private cutIn(rest: string, complete: boolean): number | undefined {
    let cut: number | undefined;
    for (const m of rest.matchAll(SENTENCE_END)) {
      // "e.g." is not a sentence end: a sentence has two letters or digits before its stop.
      if (m[0].includes("\n") || /[\p{L}\p{N}"')\]]{2}$/u.test(rest.slice(0, m.index))) {
        cut = m.index + m[0].length;
        break;
      }
    }
    if (this.first)
      for (const m of rest.matchAll(CLAUSE_END)) {
        const end = m.index + m[0].length;
        if (cut !== undefined && end >= cut) break;
        if (words(rest.slice(0, end)) >= FIRST_MIN_WORDS) return end;
      }
    if (cut !== undefined) return cut;
    if (rest.length > MAX_CHARS) {
      const space = rest.lastIndexOf(" ", MAX_CHARS);
      return space > 0 ? space + 1 : MAX_CHARS;
    }
    return complete && rest.trim() ? rest.length : undefined;
  }
}
