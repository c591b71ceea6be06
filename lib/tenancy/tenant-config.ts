// A tenant's entry in conf/tenants.yaml (budgets, rate limits, model routing, limits), found by the
// tenant's id. The id → slug mapping is cached in Redis and, for as long, in the process (a turn
// asks twice: its rate limit and its admission); a tenant without its own entry gets the default
// tenant's (tenancy.defaultTenant).
import type { Redis } from "ioredis";
import { getConfig } from "../config";
import type { TenantConfig } from "../config/files";
import type { Db } from "../server/db";
import { singleton } from "../singleton";

const SLUG_TTL_S = 300;

const slugs = () => singleton("tenant-slugs", () => new Map<string, { slug: string; until: number }>());

export async function tenantSlug(db: Db, redis: Redis, tenantId: string): Promise<string> {
  const known = slugs().get(tenantId);
  if (known && known.until > Date.now()) return known.slug;
  const key = `tenant:slug:${tenantId}`;
  let slug = await redis.get(key).catch(() => null);
  if (!slug) {
    const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { slug: true } });
    slug = t?.slug ?? getConfig().settings.tenancy.defaultTenant;
    await redis.set(key, slug, "EX", SLUG_TTL_S).catch(() => undefined);
  }
  if (slugs().size > 10_000) slugs().clear();
  slugs().set(tenantId, { slug, until: Date.now() + SLUG_TTL_S * 1000 });
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
