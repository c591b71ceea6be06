// GET /api/v1/tools: every tool with its JSON-schema arguments.
import { requirePrincipal } from "@/lib/auth/require";
import { route } from "@/lib/http/route";
import { listTools, toolSchema } from "@/lib/tools/registry";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  await requirePrincipal(request);
  return Response.json({ items: listTools().map(toolSchema) });
});
