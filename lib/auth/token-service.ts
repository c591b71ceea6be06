// API tokens a user manages: created with the secret shown once (only its hash is stored), listed
// without secrets, revoked. Revoking drops the token's cache entry in Redis, which every gateway
// process reads, so the token stops working everywhere at once.
import type { Redis } from "ioredis";
import { z } from "zod";
import { requiredText } from "../api/text-field";
import { AppError } from "../errors";
import type { Db } from "../server/db";
import type { Principal } from "./principal";
import { tokenCacheKey } from "./principal";
import { generateToken } from "./tokens";
import { publishRevocation } from "./revocation";
import { isUuid } from "../ids";

export const createTokenBody = z
  .object({
    name: requiredText(100),
    /** Days until it expires; none: it does not expire. */
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

type Row = {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
};

const view = (t: Row): TokenView => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  expiresAt: t.expiresAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

const SELECT = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
};

export async function createToken(
  db: Db,
  principal: Principal,
  input: z.infer<typeof createTokenBody>,
): Promise<TokenView & { token: string }> {
  const fresh = generateToken();
  const row = await db.apiToken.create({
    data: {
      tenantId: principal.tenantId,
      userId: principal.userId,
      name: input.name,
      prefix: fresh.prefix,
      tokenHash: fresh.hash,
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
    },
    select: SELECT,
  });
  return { ...view(row), token: fresh.token };
}

export async function listTokens(db: Db, principal: Principal): Promise<TokenView[]> {
  const rows = await db.apiToken.findMany({
    where: { userId: principal.userId, tenantId: principal.tenantId },
    orderBy: { createdAt: "desc" },
    select: SELECT,
  });
  return rows.map(view);
}

export async function revokeToken(db: Db, redis: Redis, principal: Principal, id: string): Promise<void> {
  if (!isUuid(id)) throw new AppError("not_found", "No such token.");
  const row = await db.apiToken.findFirst({
    where: { id, userId: principal.userId, tenantId: principal.tenantId },
    select: { tokenHash: true, revokedAt: true },
  });
  if (!row) throw new AppError("not_found", "No such token.");
  if (!row.revokedAt)
    await db.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, select: { id: true } });
  await redis.del(tokenCacheKey(row.tokenHash));
  await publishRevocation(redis, { kind: "token", tokenId: id, reason: "The API token was revoked." });
}
