// The one failure edge of every request, over HTTP or socket.io: the error becomes an AppError (its
// status and safe message), a server-side failure is logged with its cause, and a refusal for policy
// reasons (403, 402 over budget, 429 over a limit) is written to the audit log naming the actor.
import type { Logger } from "pino";
import type { Principal } from "../auth/principal";
import { actorOf, isDenial, writeAudit } from "../audit/log";
import { toAppError, type AppError } from "../errors";

export interface FailureContext {
  log: Logger;
  /** What was asked: "GET /api/v1/sessions", "socket voice.start". */
  resource: string;
  principal?: Principal | null;
  ip?: string | null;
  requestId?: string | null;
}

export async function reportFailure(err: unknown, ctx: FailureContext): Promise<AppError> {
  const e = toAppError(err);
  // A refusal by design (maintenance, a gateway draining) is a 503 but not a fault: no stack.
  if (e.code === "maintenance" || e.code === "draining")
    ctx.log.info({ code: e.code, resource: ctx.resource }, e.message);
  else if (e.status >= 500)
    ctx.log.error({ err: e.cause ?? e, code: e.code, resource: ctx.resource }, e.message);
  if (isDenial(e.code))
    await writeAudit({
      ...actorOf(ctx.principal),
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
      action: `request.${e.code}`,
      outcome: "denied",
      resource: ctx.resource,
      details: { reason: e.message },
    });
  return e;
}
