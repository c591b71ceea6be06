// Seeds the default tenant (from conf/tenants.yaml), a dev admin and an API token; prints them as JSON.
// Credentials are kept in .services/dev-credentials.json (git-ignored) so restarts reuse them.
import fs from "node:fs";
import path from "node:path";
import { loadConfigOrExit } from "../server/config";
import { db } from "../lib/server/db";
import { connectFga } from "../lib/server/openfga";
import { seedTenantUser } from "../lib/jobs/seed";

const root = path.resolve(import.meta.dirname, "..");
const config = loadConfigOrExit("seed");
const file = path.join(root, ".services", "dev-credentials.json");
const slug = config.settings.tenancy.defaultTenant;
const tenant = config.tenants[slug];

interface DevCredentials {
  email: string;
  password: string;
  token: string;
}
const previous: Partial<DevCredentials> = fs.existsSync(file)
  ? (JSON.parse(fs.readFileSync(file, "utf8")) as DevCredentials)
  : {};
const email = "admin@somaagent.local";
const password = previous.password ?? "soma-dev-" + Math.random().toString(36).slice(2, 10);

const { client } = await connectFga(config.settings.openfga.apiUrl, config.settings.openfga.storeName);
const result = await seedTenantUser(db(), client, {
  tenantSlug: slug,
  tenantName: tenant?.name ?? slug,
  email,
  displayName: "Dev admin",
  password,
  role: "admin",
  ...(previous.token ? { existingToken: previous.token } : {}),
});
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ email, password, token: result.token }, null, 2) + "\n", {
  mode: 0o600,
});
console.log(
  JSON.stringify({
    tenant: slug,
    tenantId: result.tenantId,
    email,
    password,
    token: result.token,
    tokenCreated: result.tokenCreated,
  }),
);
await db().$disconnect();
