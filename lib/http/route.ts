// Route handlers in one shape: run, and turn any failure into the JSON error body with its status.
// Server-side failures are logged with the cause; the client sees only the safe message. Every
// refusal for policy reasons (403, 402 over budget, 429 over a limit) is written to the audit log.
import { toAppError } from "../errors";
import { auditRequest, isDenial } from "../audit/log";
import { principalOf } from "../auth/require";
import { logger } from "../server/logger";

type Handler<C> = (request: Request, ctx: C) => Promise<Response>;

export function route<C = unknown>(fn: Handler<C>): Handler<C> {
  return async (request, ctx) => {
    try {
      return await fn(request, ctx);
    } catch (err) {
      const e = toAppError(err);
      const path = new URL(request.url).pathname;
      if (e.status >= 500) logger().error({ err: e.cause ?? e, code: e.code, path }, e.message);
      if (isDenial(e.code))
        await auditRequest(request, principalOf(request), {
          action: `request.${e.code}`,
          outcome: "denied",
          resource: `${request.method} ${path}`,
          details: { reason: e.message },
        });
      return Response.json(e.toBody(), { status: e.status, headers: e.headers });
    }
  };
}

/** A route's dynamic segments, awaited. */
export type Params<P> = { params: Promise<P> };
