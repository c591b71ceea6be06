// GET /api/openapi.json: the OpenAPI 3.2 document of the public API, generated from the routes'
// registered contracts.
import { getConfig } from "@/lib/config";
import { openApiDocument } from "@/lib/api/openapi";
import { CONTRACTS } from "../contracts";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument(CONTRACTS, getConfig().settings.server.publicUrl));
}
