// GET /api/v1/models: each model role's provider and model, and whether it can be used (the UI's
// first-run screen says so when no provider is configured).
import { requirePrincipal } from "@/lib/auth/require";
import { route } from "@/lib/http/route";
import { modelStatus } from "@/lib/agent/model-client";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  await requirePrincipal(request);
  return Response.json({
    chat: modelStatus("chat"),
    utility: modelStatus("utility"),
    embedding: modelStatus("embedding"),
  });
});
