// Any /api path without a handler answers a JSON 404, never Next's HTML page.
import { AppError, toResponse } from "@/lib/errors";

export const dynamic = "force-dynamic";

function notFound(request: Request) {
  const { pathname } = new URL(request.url);
  return toResponse(new AppError("not_found", `No API route at ${request.method} ${pathname}.`));
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
