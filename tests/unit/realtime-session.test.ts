// The realtime pieces that need no provider: what of a session the page may not change, the price
// of a realtime answer by token kind, and the multipart body an offer is relayed in.
import { describe, expect, it } from "vitest";
import { guardedPart } from "@/lib/voice/realtime/session";
import { realtimeCostUsd } from "@/lib/budget/pricing";
import { multipart } from "@/lib/voice/realtime/provider";
import { multipartFile } from "@/lib/audio/wav";

describe("guardedPart", () => {
  const tools = [
    { type: "function", name: "b", description: "B", parameters: {} },
    { type: "function", name: "a", description: "A", parameters: {} },
  ];

  it("is the same whatever the tools' order and the session's other fields", () => {
    expect(guardedPart({ instructions: "x", tools })).toBe(
      guardedPart({ instructions: "x", tools: [...tools].reverse(), voice: "alloy" } as never),
    );
  });

  it("differs when the instructions, a tool or a tool's description change", () => {
    const base = guardedPart({ instructions: "x", tools });
    expect(guardedPart({ instructions: "y", tools })).not.toBe(base);
    expect(guardedPart({ instructions: "x", tools: tools.slice(1) })).not.toBe(base);
    expect(
      guardedPart({ instructions: "x", tools: [{ ...tools[0], description: "evil" }, tools[1]] }),
    ).not.toBe(base);
    expect(guardedPart({})).toBe(guardedPart({ instructions: "", tools: [] }));
  });
});

describe("realtimeCostUsd", () => {
  it("prices text and audio tokens apart (stub-realtime: 1/2 text, 10/20 audio per 1M)", () => {
    expect(
      realtimeCostUsd("stub", "stub-realtime", { textIn: 20, audioIn: 100, textOut: 20, audioOut: 60 }),
    ).toBe((20 + 1000 + 40 + 1200) / 1e6);
  });

  it("prices audio at the text price when the model lists no audio price, and 0 for no price", () => {
    expect(
      realtimeCostUsd("stub", "stub-chat", { textIn: 1, audioIn: 1, textOut: 1, audioOut: 1 }),
    ).toBeCloseTo((1 + 1 + 2 + 2) / 1e6, 12);
    expect(realtimeCostUsd("stub", "unknown", { textIn: 5, audioIn: 5, textOut: 5, audioOut: 5 })).toBe(0);
  });
});

describe("multipart", () => {
  const sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  // A value that looks like a part of its own: a boundary line, a header, blank lines, non-ASCII.
  const session = JSON.stringify({
    instructions: '--SomaAgent-x\r\nContent-Disposition: form-data; name="sdp"\r\n\r\nnot the offer — ü',
  });

  it("is read back field by field by a standard parser and by the stub's", async () => {
    const { body, contentType } = multipart({ sdp, session });
    const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
    expect(form.get("sdp")).toBe(sdp);
    expect(form.get("session")).toBe(session);
    const raw = Buffer.from(body);
    expect(multipartFile(raw, "sdp")?.toString("utf8")).toBe(sdp);
    expect(multipartFile(raw, "session")?.toString("utf8")).toBe(session);
  });

  it("uses a new boundary each time, never one inside a value", () => {
    const a = multipart({ sdp });
    const b = multipart({ sdp });
    expect(a.contentType).not.toBe(b.contentType);
    const boundary = a.contentType.split("boundary=")[1]!;
    expect(sdp.includes(boundary)).toBe(false);
    expect(a.body.endsWith(`--${boundary}--\r\n`)).toBe(true);
  });
});
