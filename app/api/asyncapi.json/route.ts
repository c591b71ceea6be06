// GET /api/asyncapi.json: the AsyncAPI 3.0 document of the socket.io namespaces.
import { getConfig } from "@/lib/config";
import { asyncApiDocument } from "@/lib/api/asyncapi";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(asyncApiDocument(getConfig().settings.server.publicUrl));
}
