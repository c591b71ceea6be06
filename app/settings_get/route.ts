// GET /settings_get: the runtime document's name for GET /api/v1/settings (same answer).
import { route } from "@/lib/http/route";
import { getSettings } from "@/lib/settings/handlers";

export const dynamic = "force-dynamic";

export const GET = route(getSettings);
