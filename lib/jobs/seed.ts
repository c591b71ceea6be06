// Seeds a tenant, its admin user and an API token, idempotently, and writes the OpenFGA tuples that
// make the user the tenant's admin. Used by `make dev-up` (the default tenant) and by tests.
import type { OpenFgaClient } from "@openfga/sdk";
import type { Db } from "../server/db";
import { hashPassword } from "../auth/password";
import { generateToken, hashSecret } from "../auth/tokens";

export interface SeedInput {
  tenantSlug: string;
  tenantName: string;
  email: string;
  displayName: string;
  password?: string;
  role?: "admin" | "member";
  /** A token issued earlier; kept when it is still valid so dev credentials survive restarts. */
  existingToken?: string;
  tokenName?: string;
}

export interface SeedResult {
  tenantId: string;
  userId: string;
  token: string;
  tokenCreated: boolean;
}

export async function seedTenantUser(
  db: Db,
  fga: OpenFgaClient | undefined,
  input: SeedInput,
): Promise<SeedResult> {
  const tenant = await db.tenant.upsert({
    where: { slug: input.tenantSlug },
    create: { slug: input.tenantSlug, name: input.tenantName },
    update: {},
    select: { id: true },
  });
  const role = input.role ?? "admin";
  const existingUser = await db.user.findUnique({
    where: { email: input.email },
    select: { id: true, tenantId: true },
  });
  if (existingUser && existingUser.tenantId !== tenant.id) {
    throw new Error(`user ${input.email} already belongs to another tenant`);
  }
  const user =
    existingUser ??
    (await db.user.create({
      data: {
        tenantId: tenant.id,
        email: input.email,
        displayName: input.displayName,
        role,
        passwordHash: input.password ? await hashPassword(input.password) : null,
      },
      select: { id: true, tenantId: true },
    }));

  let token = input.existingToken;
  let tokenCreated = false;
  const valid =
    token &&
    (await db.apiToken.findFirst({
      where: { tokenHash: hashSecret(token), userId: user.id, revokedAt: null },
      select: { id: true },
    }));
  if (!valid) {
    const fresh = generateToken();
    await db.apiToken.create({
      data: {
        tenantId: tenant.id,
        userId: user.id,
        name: input.tokenName ?? "dev",
        prefix: fresh.prefix,
        tokenHash: fresh.hash,
      },
    });
    token = fresh.token;
    tokenCreated = true;
  }

  if (fga) {
    const tuple = { user: `user:${user.id}`, relation: role, object: `tenant:${tenant.id}` };
    const have = await fga.read(tuple);
    if (have.tuples.length === 0) await fga.write({ writes: [tuple] });
  }
  return { tenantId: tenant.id, userId: user.id, token: token!, tokenCreated };
}
