// One principal lookup per request: the HTTP pipeline authenticates every /api/v1 request before Next
// routes it, and hands the principal on to the route handler in the same process under a random
// reference in a request header (never the principal itself; a client's own header of that name is
// dropped first, and a reference is good for its one request only).
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { singleton } from "../singleton";
import type { Principal } from "./principal";

export const PRINCIPAL_REF_HEADER = "x-soma-principal-ref";

const refs = () => singleton("forwarded-principals", () => new Map<string, Principal>());

/** Drops a reference a client sent itself (it could only name nothing, but it is not the client's). */
export function dropForwarded(headers: IncomingHttpHeaders): void {
  delete headers[PRINCIPAL_REF_HEADER];
}

/** Hands the principal to the route handler; call the returned function when the response is done. */
export function forwardPrincipal(headers: IncomingHttpHeaders, principal: Principal): () => void {
  const ref = randomUUID();
  refs().set(ref, principal);
  headers[PRINCIPAL_REF_HEADER] = ref;
  return () => refs().delete(ref);
}

/** The principal the pipeline found for this request, if it authenticated it. */
export function forwardedPrincipal(request: Request): Principal | undefined {
  const ref = request.headers.get(PRINCIPAL_REF_HEADER);
  return ref ? refs().get(ref) : undefined;
}
