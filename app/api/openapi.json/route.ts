// GET /api/openapi.json: the OpenAPI 3.1 document of the public API.
import { getConfig } from "@/lib/config";
import { openApiDocument } from "@/lib/api/openapi";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument(getConfig().settings.server.publicUrl));
}
