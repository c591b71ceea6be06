// What the agent says aloud, cut from the streamed answer: the first piece at the first clause that
// has at least four words (so speech starts early), then whole sentences. A model slow to punctuate
// does not hold the voice back: FIRST_PIECE_WAIT_MS after its first words, the first piece is cut at
// the last whole word once there are four (the rest follows in sentences, synthesised while the first
// piece plays). Markdown marks are not read, code blocks are skipped, links are read by their text.

const FIRST_MIN_WORDS = 4;
/** How long a first piece of four whole words waits for a clause or sentence end. */
export const FIRST_PIECE_WAIT_MS = 40;
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
  /** When the answer's first words arrived (the clock of `push`), while the first piece is pending. */
  private firstTextAt: number | undefined;

  /**
   * Adds streamed text; returns the pieces now ready to be spoken (possibly none). `nowMs` (any
   * monotonic clock, e.g. performance.now()) enables the timed first piece; without it there is none.
   */
  push(delta: string, nowMs?: number): string[] {
    this.raw += delta;
    if (this.first && nowMs !== undefined && this.firstTextAt === undefined && /[\p{L}\p{N}]/u.test(this.raw))
      this.firstTextAt = nowMs;
    const out = this.cutReady();
    if (out.length === 0 && nowMs !== undefined) return this.due(nowMs);
    return out;
  }

  /**
   * When to call `due` if no more text arrives (the first piece's wait runs out), or undefined when
   * nothing is waiting for a clock.
   */
  dueAt(): number | undefined {
    return this.first && this.firstTextAt !== undefined ? this.firstTextAt + FIRST_PIECE_WAIT_MS : undefined;
  }

  /** The first piece, cut at the last whole word, if it has waited long enough for punctuation. */
  due(nowMs: number): string[] {
    const at = this.dueAt();
    if (at === undefined || nowMs < at) return [];
    const rest = this.raw.slice(this.taken);
    const space = rest.search(/\s\S*$/);
    if (space <= 0) return [];
    const piece = rest.slice(0, space + 1);
    // Not inside code, a link or an emphasis: those are cut whole, by punctuation.
    const count = (re: RegExp) => piece.match(re)?.length ?? 0;
    if (piece.includes("`") || count(/\[/g) !== count(/\]/g) || count(/\(/g) !== count(/\)/g)) return [];
    if (count(/\*\*|__/g) % 2 === 1 || words(piece) < FIRST_MIN_WORDS) return [];
    const out: string[] = [];
    this.emit(piece, out);
    this.taken += piece.length;
    return [...out, ...this.cutReady()];
  }

  private cutReady(): string[] {
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
      this.firstTextAt = undefined;
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
