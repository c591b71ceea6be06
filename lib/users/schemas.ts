// The public shapes of the tenant admin's user management: request bodies and queries are validated
// with these, responses are built to them, and the OpenAPI document is generated from them.
import { z } from "zod";

export const ROLES = ["admin", "member"] as const;

export const listUsersQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** The last email of the previous page (nextCursor). */
    cursor: z.string().min(1).max(320).optional(),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuery>;

export const updateUserBody = z
  .object({
    /** true: the user can no longer sign in, and what they have open ends; false: enabled again. */
    disabled: z.boolean().optional(),
    role: z.enum(ROLES).optional(),
  })
  .strict()
  .refine((b) => b.disabled !== undefined || b.role !== undefined, {
    message: "give disabled, role or both",
  })
  .meta({ minProperties: 1 });
export type UserChange = z.infer<typeof updateUserBody>;

export const userView = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  disabledAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type UserView = z.infer<typeof userView>;

export const userList = z.object({ items: z.array(userView), nextCursor: z.string().nullable() });

export const USER_SELECT = {
  id: true,
  email: true,
  displayName: true,
  role: true,
  disabledAt: true,
  createdAt: true,
} as const;

export function toUserView(u: {
  id: string;
  email: string;
  displayName: string;
  role: (typeof ROLES)[number];
  disabledAt: Date | null;
  createdAt: Date;
}): UserView {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    disabled: u.disabledAt !== null,
    disabledAt: u.disabledAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}
