// A tenant's entry in conf/tenants.yaml (budgets, rate limits, model routing, limits), found by the
// tenant's id. The id → slug mapping is cached in Redis; a tenant without its own entry gets the
// default tenant's (tenancy.defaultTenant).
import type { Redis } from "ioredis";
import { getConfig } from "../config";
import type { TenantConfig } from "../config/files";
import type { Db } from "../server/db";

const SLUG_TTL_S = 300;

export async function tenantSlug(db: Db, redis: Redis, tenantId: string): Promise<string> {
  const key = `tenant:slug:${tenantId}`;
  const cached = await redis.get(key).catch(() => null);
  if (cached) return cached;
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { slug: true } });
  const slug = t?.slug ?? getConfig().settings.tenancy.defaultTenant;
  await redis.set(key, slug, "EX", SLUG_TTL_S).catch(() => undefined);
  return slug;
}

/** The tenant's configuration, or the default tenant's; undefined when conf/tenants.yaml has neither. */
export async function tenantConfig(
  db: Db,
  redis: Redis,
  tenantId: string,
): Promise<TenantConfig | undefined> {
  const { tenants, settings } = getConfig();
  return tenants[await tenantSlug(db, redis, tenantId)] ?? tenants[settings.tenancy.defaultTenant];
}
