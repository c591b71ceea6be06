// POST /api/internal/tool-results: executors that deliver by callback (executor.resultRoute =
// "callback") post each result here, signed with SOMA_INTERNAL_CALLBACK_SECRET. Anything without a
// valid signature gets 401. The executor has already recorded the result; this wakes the waiter.
import { route } from "@/lib/http/route";
import { readSecret } from "@/lib/config/env";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { toolResultSchema } from "@/lib/bus/messages";
import { redis } from "@/lib/server/redis";
import { notifyToolDone } from "@/lib/tool-calls/result-notify";
import { readBodyLimited } from "@/lib/http/read-body";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from "@/lib/executor/callback-signature";
import { carrierFromHttpHeaders } from "@/lib/tracing/propagation";
import { ATTR, withSpan } from "@/lib/tracing/spans";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  const secret = readSecret("SOMA_INTERNAL_CALLBACK_SECRET");
  // Limited before the signature is checked: an unsigned sender must not make us buffer gigabytes.
  // A result carries at most the sandbox's output cap (JSON-escaped, so up to a few times larger).
  const { settings } = getConfig();
  const limit = Math.max(settings.server.bodyLimitBytes, settings.executor.sandboxOutputBytes * 4);
  const body = await readBodyLimited(request, limit);
  if (
    !secret ||
    !verify(secret, body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER))
  ) {
    throw new AppError("unauthorized", "A valid callback signature is required.");
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new AppError("invalid_request", "The body is not valid JSON.");
  }
  const result = toolResultSchema.safeParse(data);
  if (!result.success) throw new AppError("invalid_request", "The body is not a tool result.");
  const { toolCallId, status } = result.data;
  // Back in a gateway, in the trace of the call: taken from the signed request's traceparent only.
  await withSpan(
    "tool.result",
    {
      kind: "server",
      parent: carrierFromHttpHeaders(request.headers) ?? null,
      attributes: { [ATTR.toolCallId]: toolCallId, [ATTR.toolStatus]: status },
    },
    () => notifyToolDone(redis(), toolCallId),
  );
  return new Response(null, { status: 204 });
});
