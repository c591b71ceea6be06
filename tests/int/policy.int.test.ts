// OPA and OpenFGA answer real decisions with the policies and model the migration job loaded.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { opaDecision } from "@/lib/server/opa";
import { connectFga } from "@/lib/server/openfga";
import { settings } from "../helpers/services";

interface Decision {
  allow: boolean;
  reason: string;
}

describe("OPA tool policy", () => {
  const input = (tool: string, deniedTools: string[] = []) => ({
    tenant: { id: "t", deniedTools },
    user: { id: "u", role: "member" },
    tool: { name: tool, needsNetwork: tool === "http_request" },
  });

  it("allows a known tool", async () => {
    const d = await opaDecision<Decision>("somaagent/tools/decision", input("code_execution"));
    expect(d).toEqual({ allow: true, reason: "allowed" });
  });

  it("denies a tool the tenant disabled, with the reason", async () => {
    const d = await opaDecision<Decision>(
      "somaagent/tools/decision",
      input("http_request", ["http_request"]),
    );
    expect(d.allow).toBe(false);
    expect(d.reason).toBe('tool "http_request" is disabled for this tenant');
  });
});

describe("OpenFGA authorization model", () => {
  it("lets a session's owner and tenant admins view it, and nobody else", async () => {
    const { client } = await connectFga(settings().openfga.apiUrl, settings().openfga.storeName);
    const [tenant, session, owner, admin, stranger] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    await client.write({
      writes: [
        { user: `tenant:${tenant}`, relation: "tenant", object: `session:${session}` },
        { user: `user:${owner}`, relation: "owner", object: `session:${session}` },
        { user: `user:${admin}`, relation: "admin", object: `tenant:${tenant}` },
      ],
    });
    const can = async (user: string, relation: string) =>
      (await client.check({ user: `user:${user}`, relation, object: `session:${session}` })).allowed;
    expect(await can(owner, "can_view")).toBe(true);
    expect(await can(owner, "can_write")).toBe(true);
    expect(await can(admin, "can_view")).toBe(true);
    expect(await can(admin, "can_write")).toBe(false);
    expect(await can(stranger, "can_view")).toBe(false);
  });
});
