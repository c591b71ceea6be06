// Route handlers in one shape: run, and turn any failure into the JSON error body with its status.
// Server-side failures are logged with the cause; the client sees only the safe message.
import { toAppError } from "../errors";
import { logger } from "../server/logger";

type Handler<C> = (request: Request, ctx: C) => Promise<Response>;

export function route<C = unknown>(fn: Handler<C>): Handler<C> {
  return async (request, ctx) => {
    try {
      return await fn(request, ctx);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500)
        logger().error({ err: e.cause ?? e, code: e.code, path: new URL(request.url).pathname }, e.message);
      return Response.json(e.toBody(), { status: e.status, headers: e.headers });
    }
  };
}

/** A route's dynamic segments, awaited. */
export type Params<P> = { params: Promise<P> };
