// POST /api/v1/tokens {name, expiresInDays?}: a new API token, its secret shown this once.
// GET /api/v1/tokens: the caller's tokens, without secrets.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { createToken, createTokenBody, listTokens } from "@/lib/auth/token-service";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { db } from "@/lib/server/db";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requirePrincipal(request);
  return Response.json({ items: await listTokens(db(), principal) });
});

export const POST = route(async (request) => {
  const principal = await requirePrincipal(request);
  const body = await jsonBody(request, createTokenBody, 16_384);
  const created = await createToken(db(), principal, body);
  await auditRequest(request, principal, {
    action: "token.create",
    outcome: "success",
    resource: `token:${created.id}`,
    details: { name: body.name },
  });
  return Response.json(created, {
    status: 201,
    headers: { "cache-control": "no-store" },
  });
});
