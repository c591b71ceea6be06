// GET /api/v1/settings: every editable field's effective value, its source (env, settings, tenant,
// providers, default) and whether an environment variable locks it; API keys only as set or not.
// PUT /api/v1/settings: a partial update (nested JSON, e.g. {"models":{"chat":{"temperature":0.3}}}),
// validated field by field, written to tmp/settings.json atomically, in effect on every process.
import { route } from "@/lib/http/route";
import { getSettings, putSettings } from "@/lib/settings/handlers";

export const dynamic = "force-dynamic";

export const GET = route(getSettings);
export const PUT = route(putSettings);
