// What the test provider answers a chat request with: an error, streamed text, or tool calls.
export interface StubToolCall {
  name: string;
  arguments: string;
}

export type StubReply =
  | { kind: "error"; status: number; message: string }
  | { kind: "text"; chunks: string[]; delayMs: number; failAfter?: number }
  | { kind: "tools"; calls: StubToolCall[]; delayMs: number };
