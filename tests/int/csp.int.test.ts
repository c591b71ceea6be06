// Production pages carry a fresh CSP nonce per response and every inline script in them has it:
// scripts run by nonce, never by 'unsafe-inline'. The real gateway process on the production build.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { startGateway, type GatewayProcess } from "../helpers/chat";
import { stopProcess } from "../helpers/services";

let stub: StubServer;
let gateway: GatewayProcess;
let base: string;

beforeAll(async () => {
  stub = await startStubProvider();
  ({ gateway, base } = await startGateway(stub));
});
afterAll(async () => {
  if (gateway) await stopProcess(gateway);
  await stub?.close();
});

function scriptSrc(csp: string | null): string {
  const d = (csp ?? "").split(";").map((s) => s.trim());
  return d.find((s) => s.startsWith("script-src ")) ?? "";
}

function nonceOf(csp: string | null): string {
  const m = /'nonce-([A-Za-z0-9+/=]+)'/.exec(scriptSrc(csp));
  if (!m) throw new Error(`no nonce in ${csp}`);
  return m[1]!;
}

/** Every <script …> opening tag in the page, with the nonce attribute it carries (if any). */
function scripts(html: string): { tag: string; nonce: string | undefined; inline: boolean }[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map(([, attrs = "", body = ""]) => ({
    tag: `<script${attrs.slice(0, 80)}>`,
    nonce: /\bnonce="([^"]*)"/.exec(attrs)?.[1],
    inline: !/\bsrc=/.test(attrs) && body.trim().length > 0,
  }));
}

async function page(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  return { res, html: await res.text(), csp: res.headers.get("content-security-policy") };
}

describe("content security policy (production)", () => {
  it("allows scripts by a nonce only: no 'unsafe-inline', no 'unsafe-eval'", async () => {
    const { res, csp } = await page("/login");
    expect(res.status).toBe(200);
    expect(scriptSrc(csp)).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/]{22}==' 'strict-dynamic'$/);
    expect(csp).not.toContain("unsafe-eval");
    expect(scriptSrc(csp)).not.toContain("unsafe-inline");
  });

  it("sends a fresh nonce with every response, and every script in the page carries it", async () => {
    const seen = new Set<string>();
    for (const path of ["/login", "/login", "/", "/status", "/no-such-page"]) {
      const { html, csp } = await page(path);
      const nonce = nonceOf(csp);
      expect(seen.has(nonce), `nonce reused on ${path}`).toBe(false);
      seen.add(nonce);
      const found = scripts(html);
      expect(found.filter((s) => s.inline).length, `inline scripts on ${path}`).toBeGreaterThan(0);
      for (const s of found) expect(s.nonce, `${path}: ${s.tag}`).toBe(nonce);
    }
  });

  it("ignores a nonce the client puts in its own request's CSP header", async () => {
    const chosen = "AAAAAAAAAAAAAAAAAAAAAA==";
    const { html, csp } = await page("/login", {
      "content-security-policy": `script-src 'nonce-${chosen}'`,
      "content-security-policy-report-only": `script-src 'nonce-${chosen}'`,
    });
    expect(nonceOf(csp)).not.toBe(chosen);
    expect(html).not.toContain(chosen);
    for (const s of scripts(html)) expect(s.nonce).toBe(nonceOf(csp));
  });

  it("sends the policy on API answers too", async () => {
    const res = await fetch(`${base}/api/v1/me`);
    expect(res.status).toBe(401);
    expect(scriptSrc(res.headers.get("content-security-policy"))).toContain("'nonce-");
  });
});
