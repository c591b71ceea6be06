// POST /api/v1/tools/{name}/invoke: run one tool through the same outbox, bus and executor as the
// agent, and answer with its outcome. For scripts and CI.
import { requirePrincipal } from "@/lib/auth/require";
import { AppError, fromZod } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { jsonBody } from "@/lib/http/json-body";
import { getConfig } from "@/lib/config";
import { findTool } from "@/lib/tools/registry";
import { invokeTool } from "@/lib/tool-calls/invoke";
import { enforceRateLimit } from "@/lib/ratelimit/policy";
import { invokeBody } from "@/lib/tools/invoke-body";

export const dynamic = "force-dynamic";

export const POST = route(async (request, ctx: { params: Promise<{ name: string }> }) => {
  const principal = await requirePrincipal(request);
  await enforceRateLimit(principal, "toolInvocations");
  const { name } = await ctx.params;
  const tool = findTool(name);
  if (!tool)
    throw new AppError("not_found", `There is no tool named "${name}". GET /api/v1/tools lists them.`);
  const { settings } = getConfig();
  const body = await jsonBody(request, invokeBody, settings.server.bodyLimitBytes);
  const args = tool.args.safeParse(body.args);
  if (!args.success) {
    const err = fromZod(args.error, "tool arguments");
    throw new AppError("invalid_request", err.message.replace("tool arguments: ", "tool arguments: args."), {
      details: (err.details as { field: string; message: string }[]).map((d) => ({
        ...d,
        field: `args.${d.field}`,
      })),
    });
  }
  return Response.json(
    await invokeTool({
      principal,
      tool: name,
      args: body.args,
      ...(body.sessionId ? { sessionId: body.sessionId } : {}),
    }),
  );
});
