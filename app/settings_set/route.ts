// POST /settings_set: the runtime document's name for PUT /api/v1/settings (same body and answer).
import { route } from "@/lib/http/route";
import { putSettings } from "@/lib/settings/handlers";

export const dynamic = "force-dynamic";

export const POST = route(putSettings);
