// GET /api/v1/tools: every tool with its JSON-schema arguments.
import { requirePrincipal } from "@/lib/auth/require";
import { toResponse } from "@/lib/errors";
import { listTools, toolSchema } from "@/lib/tools/registry";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  try {
    await requirePrincipal(request);
    return Response.json({ items: listTools().map(toolSchema) });
  } catch (err) {
    return toResponse(err);
  }
}
