// The client address behind proxies: X-Forwarded-For counts only from a trusted proxy, and then the
// nearest hop that is not itself a trusted proxy is the client (a client cannot prepend its own hops).
import { describe, expect, it } from "vitest";
import { clientAddress } from "@/lib/http/client-ip";

describe("clientAddress", () => {
  it("is the peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", [])).toBe("203.0.113.9");
    expect(clientAddress("::ffff:127.0.0.1", undefined, [])).toBe("127.0.0.1");
  });
  it("is the nearest untrusted hop behind trusted proxies", () => {
    const trusted = ["10.0.0.2", "10.0.0.3"];
    expect(clientAddress("10.0.0.2", "198.51.100.7", trusted)).toBe("198.51.100.7");
    // The client forged a first hop; the proxies appended the real one and each other.
    expect(clientAddress("::ffff:10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", trusted)).toBe("198.51.100.7");
    expect(clientAddress("10.0.0.2", ["1.2.3.4", "198.51.100.7"], trusted)).toBe("198.51.100.7");
  });
  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(clientAddress("198.51.100.7", "10.0.0.99", ["10.0.0.2"])).toBe("198.51.100.7");
  });
});
