// One handler shape for every socket.io event a client sends with an acknowledgement: the payload is
// validated (a bad one is answered `invalid_request` naming the field), errors are answered with
// their code and message through the shared failure edge (lib/http/failure.ts): server errors are
// logged, refusals are audited.
import type { Socket } from "socket.io";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Principal } from "../lib/auth/principal";
import { reportFailure } from "../lib/http/failure";
import type { Ack } from "../lib/realtime/events";
import { ATTR, openSpan } from "../lib/tracing/spans";

/** What the handler needs of a socket: who it is, where from, and a way to report an error. */
interface HandlerSocket {
  data: { principal: Principal };
  handshake: Socket["handshake"];
  emit(event: "error", e: { code: string; message: string; event?: string }): unknown;
}

export function socketHandler<S extends z.ZodType, T>(
  socket: HandlerSocket,
  log: Logger,
  event: string,
  schema: S,
  fn: (payload: z.infer<S>) => Promise<T>,
) {
  return (raw: unknown, ack?: Ack<T>) => {
    const reply = typeof ack === "function" ? ack : undefined;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const error = {
        code: "invalid_request",
        message: `Invalid ${event} payload: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "rejected"}`,
      };
      if (reply) reply({ ok: false, error });
      else socket.emit("error", { ...error, event });
      return;
    }
    // The event's span starts its trace (a sent message's turn is its child), as a request's does.
    const span = openSpan(`socket ${event}`, {
      kind: "server",
      parent: null,
      attributes: { [ATTR.socketEvent]: event },
    });
    span
      .run(() => fn(parsed.data))
      .then((data) => {
        span.end();
        reply?.({ ok: true, data });
      })
      .catch(async (err: unknown) => {
        const e = await reportFailure(err, {
          log,
          resource: `socket ${event}`,
          principal: socket.data.principal,
          ip: socket.handshake.address,
        });
        span.set({ [ATTR.errorCode]: e.code });
        span.end(e.status >= 500 ? err : undefined);
        const error = { code: e.code, message: e.message };
        if (reply) reply({ ok: false, error });
        else socket.emit("error", { ...error, event });
      });
  };
}
