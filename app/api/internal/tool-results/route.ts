// POST /api/internal/tool-results: executors that deliver by callback (executor.resultRoute =
// "callback") post each result here, signed with SOMA_INTERNAL_CALLBACK_SECRET. Anything without a
// valid signature gets 401. The executor has already recorded the result; this wakes the waiter.
import { readSecret } from "@/lib/config/env";
import { AppError, toResponse } from "@/lib/errors";
import { toolResultSchema } from "@/lib/bus/messages";
import { redis } from "@/lib/server/redis";
import { notifyToolDone } from "@/lib/tools/result-notify";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from "@/lib/tools/callback-signature";

export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  try {
    const secret = readSecret("SOMA_INTERNAL_CALLBACK_SECRET");
    const body = await request.text();
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
    await notifyToolDone(redis(), result.data.toolCallId);
    return new Response(null, { status: 204 });
  } catch (err) {
    return toResponse(err);
  }
}
