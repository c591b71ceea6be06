// The contract of /api/v1/settings (also at /settings_get and /settings_set).
import { SettingsView } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/settings", {
  get: {
    summary: "Effective settings (models, speech, agent), each with its source and lock",
    description: "Also at `GET /settings_get`.",
    responses: { 200: { description: "Settings", body: SettingsView } },
    errors: [401],
  },
  put: {
    summary: "Change settings (partial; tenant admins of the deployment's tenant)",
    description:
      'A nested JSON object of the settings to change, e.g. `{"models":{"chat":{"temperature":0.3}}}`; API keys as `….apiKey` (null removes). Stored as the next version of the shared settings and applied on every process. Also at `POST /settings_set`.',
    body: { type: "object" },
    responses: { 200: { description: "The new settings", body: SettingsView } },
    errors: [400, 401, 403, 409, 413, 415],
  },
});
