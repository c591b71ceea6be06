// What the person heard of an interrupted answer: the pieces whose audio had played in full, and of
// the piece playing when it stopped, the words in proportion to the time it had played.

export interface SpokenPiece {
  text: string;
  /** Audio time at which the piece started, from the start of the answer's audio. */
  startMs: number;
  durationMs: number;
}

export function heardText(pieces: readonly SpokenPiece[], playedMs: number): string {
  const out: string[] = [];
  for (const p of pieces) {
    if (playedMs >= p.startMs + p.durationMs) {
      out.push(p.text);
      continue;
    }
    if (playedMs > p.startMs && p.durationMs > 0) {
      const words = p.text.split(/\s+/).filter(Boolean);
      const n = Math.floor((words.length * (playedMs - p.startMs)) / p.durationMs);
      if (n > 0) out.push(words.slice(0, n).join(" "));
    }
    break;
  }
  return out.join(" ");
}
