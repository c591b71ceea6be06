// The principal the HTTP pipeline hands to the route handler: by a one-request reference, never from
// what a client sends.
import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import type { Principal } from "@/lib/auth/principal";
import {
  dropForwarded,
  forwardedPrincipal,
  forwardPrincipal,
  PRINCIPAL_REF_HEADER,
} from "@/lib/auth/forwarded-principal";

const principal = { userId: "u1", tenantId: "t1", role: "member", kind: "token" } as Principal;
const request = (headers: IncomingHttpHeaders) =>
  new Request("http://gateway/api/v1/me", { headers: headers as Record<string, string> });

describe("forwarded principal", () => {
  it("reaches the route handler by its reference, until the response is done", () => {
    const headers: IncomingHttpHeaders = {};
    const done = forwardPrincipal(headers, principal);
    expect(forwardedPrincipal(request(headers))).toBe(principal);
    done();
    expect(forwardedPrincipal(request(headers))).toBeUndefined();
  });

  it("drops a reference the client sent, and a made-up one names nobody", () => {
    const headers: IncomingHttpHeaders = { [PRINCIPAL_REF_HEADER]: "made-up" };
    expect(forwardedPrincipal(request(headers))).toBeUndefined();
    dropForwarded(headers);
    expect(headers[PRINCIPAL_REF_HEADER]).toBeUndefined();
  });
});
