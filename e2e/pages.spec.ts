// Every page, opened fresh at phone and desktop width, renders without a console error or a page
// error (a hydration mismatch is one: React reports it on the console), and without a Content
// Security Policy violation: the production policy allows scripts by the response's nonce only.
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

const PAGES = [
  { path: "/", ready: "Message" },
  { path: "/settings", ready: "Settings" },
  { path: "/tokens", ready: "API tokens" },
  { path: "/memories", ready: "Memories" },
  { path: "/audit", ready: "Audit log" },
  { path: "/schedules", ready: "Schedules" },
  { path: "/status", ready: "SomaAgent" },
];

for (const viewport of [
  { name: "phone", width: 390, height: 800 },
  { name: "desktop", width: 1280, height: 800 },
]) {
  test(`every page loads cleanly at ${viewport.name} width`, async ({ page, seededUser }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`${page.url()}: ${String(e)}`));
    await page.exposeFunction("reportCspViolation", (v: string) => problems.push(`CSP: ${v}`));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        const report = (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation;
        report(`${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI}`);
      });
    });
    page.on("response", (r) => {
      if (r.request().resourceType() !== "document") return;
      const scriptSrc = (r.headers()["content-security-policy"] ?? "")
        .split(";")
        .find((d) => d.trim().startsWith("script-src"));
      if (!scriptSrc?.includes("'nonce-") || scriptSrc.includes("unsafe-inline"))
        problems.push(`${r.url()}: script-src without a nonce, or with 'unsafe-inline': ${scriptSrc}`);
    });
    await signIn(page, seededUser);
    for (const { path, ready } of PAGES) {
      await page.goto(path);
      await expect(
        page
          .getByLabel(ready)
          .or(page.getByRole("heading", { name: ready, level: 1 }))
          .first(),
      ).toBeVisible();
      await page.waitForLoadState("networkidle");
    }
    expect(problems).toEqual([]);
  });
}
