// The public shapes of maintenance mode: the admin's request body, validated with zod, and the
// state every page, /readyz and the API show (MaintenanceView, zod-free so the browser can use it).
import { z } from "zod";
import { requiredText } from "../api/text-field";

export const MESSAGE_MAX_CHARS = 500;

export const startMaintenanceBody = z
  .object({
    /** What people are told, on every page and in every refusal. */
    message: requiredText(MESSAGE_MAX_CHARS),
    /** When it ends by itself (ISO 8601 with an offset); without it, it lasts until switched off. */
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type StartMaintenance = z.infer<typeof startMaintenanceBody>;

export const maintenanceView = z.object({
  active: z.boolean(),
  message: z.string().nullable(),
  since: z.iso.datetime().nullable(),
  until: z.iso.datetime().nullable(),
});
export type { MaintenanceView } from "./view";
