// Any /api path without a handler answers a JSON 404, never Next's HTML page.
import { AppError } from "@/lib/errors";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

const notFound = route(async (request) => {
  const { pathname } = new URL(request.url);
  throw new AppError("not_found", `No API route at ${request.method} ${pathname}.`);
});

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
