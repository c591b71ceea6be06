// Route handlers in one shape: run, and turn any failure into the JSON error body with its status
// through the shared failure edge (./failure.ts: logged when the server failed, audited when refused).
import { requestMeta } from "../audit/log";
import { principalOf } from "../auth/require";
import { logger } from "../server/logger";
import { reportFailure } from "./failure";

type Handler<C> = (request: Request, ctx: C) => Promise<Response>;

export function route<C = unknown>(fn: Handler<C>): Handler<C> {
  return async (request, ctx) => {
    try {
      return await fn(request, ctx);
    } catch (err) {
      const e = await reportFailure(err, {
        log: logger(),
        resource: `${request.method} ${new URL(request.url).pathname}`,
        principal: principalOf(request),
        ...requestMeta(request),
      });
      return Response.json(e.toBody(), { status: e.status, headers: e.headers });
    }
  };
}

/** A route's dynamic segments, awaited. */
export type Params<P> = { params: Promise<P> };
