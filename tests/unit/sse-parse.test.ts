// The one SSE reader (lib/http/sse-parse.ts), against the event-stream rules of the HTML standard.
import { describe, expect, it } from "vitest";
import { SseParser } from "@/lib/http/sse-parse";

describe("SSE parser", () => {
  it("joins data lines with a newline and strips one space after the colon", () => {
    const p = new SseParser();
    expect(p.push('data: {"a":\ndata:  1}\n\n')).toEqual([{ event: "message", data: '{"a":\n 1}' }]);
  });

  it("keeps an event split across chunks, whatever the line ending", () => {
    const p = new SseParser();
    expect(p.push("id: 7\r")).toEqual([]);
    expect(p.push("\nevent: delta\rdata: hel")).toEqual([]);
    expect(p.push("lo\r\n")).toEqual([]);
    expect(p.push("\r\n")).toEqual([{ event: "delta", data: "hello", id: "7" }]);
  });

  it("skips comments and events without data; resets fields between events", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\n\nevent: x\n\ndata: one\n\ndata\n\n")).toEqual([
      { event: "message", data: "one" },
      { event: "message", data: "" },
    ]);
  });

  it("answers several events from one chunk in order", () => {
    const p = new SseParser();
    const got = p.push("data: 1\n\ndata: 2\n\ndata: 3");
    expect(got.map((e) => e.data)).toEqual(["1", "2"]);
    expect(p.push("\n\n").map((e) => e.data)).toEqual(["3"]);
  });
});
