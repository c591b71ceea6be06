// A transcript that repeats what the agent said in the last few seconds is the agent hearing itself
// (speakers, no echo cancellation): it is dropped, not sent as the user's words.

export const ECHO_WINDOW_MS = 5_000;

const normal = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, " ")
    .split(/\s+/)
    .filter(Boolean);

/** Whether every word of `transcript`, in order and together, is in what the agent just said. */
export function isEcho(transcript: string, recentAgentSpeech: readonly string[]): boolean {
  const heard = normal(transcript);
  if (heard.length === 0) return false;
  const said = normal(recentAgentSpeech.join(" "));
  for (let i = 0; i + heard.length <= said.length; i++)
    if (heard.every((w, j) => said[i + j] === w)) return true;
  return false;
}

/** What the agent said recently, by the time it finished saying it. */
export class RecentSpeech {
  private items: { text: string; endsAt: number }[] = [];

  add(text: string, endsAt: number): void {
    this.items.push({ text, endsAt });
  }

  at(now: number): string[] {
    this.items = this.items.filter((i) => now - i.endsAt <= ECHO_WINDOW_MS);
    return this.items.map((i) => i.text);
  }
}
