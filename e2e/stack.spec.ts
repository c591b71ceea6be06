// The gateway as a person and a script meet it: the page loads and shows every service ready; the
// API refuses anonymous callers with a JSON 401 and serves a token holder.
import { expect, test } from "./fixtures/api";

interface ErrorBody {
  error: { code: string; message: string };
}

test("the status page loads and shows every backing service ready", async ({ page }) => {
  await page.goto("/status");
  await expect(page.getByRole("heading", { name: "SomaAgent" })).toBeVisible();
  const status = page.getByTestId("stack-status");
  await expect(status.getByTestId("stack-overall")).toHaveText("All ready", { timeout: 15_000 });
  for (const name of ["postgres", "redis", "kafka", "openfga", "opa"]) {
    await expect(status.getByTestId(`check-${name}`)).toHaveAttribute("data-ok", "true");
  }
  await page.screenshot({ path: "test-results/home.png", fullPage: true });
});

test("the Refresh button can be reached and used from the keyboard", async ({ page }) => {
  await page.goto("/status");
  await expect(page.getByTestId("stack-overall")).toBeVisible({ timeout: 15_000 });
  await page.keyboard.press("Tab");
  const focused = page.locator(":focus");
  // The first focusable element is the Refresh button or a link; tab until the button has focus.
  for (let i = 0; i < 10 && (await focused.textContent()) !== "Refresh"; i++)
    await page.keyboard.press("Tab");
  await expect(focused).toHaveText("Refresh");
  const refreshed = page.waitForResponse((r) => r.url().endsWith("/readyz"));
  await page.keyboard.press("Enter");
  expect((await refreshed).status()).toBe(200);
});

test("anonymous API calls get a 401 JSON error, not an HTML page", async ({ request }) => {
  for (const path of ["/api/v1/me", "/api/v1/sessions", "/api/v1/does-not-exist"]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(401);
    expect(res.headers()["content-type"]).toContain("application/json");
    expect(((await res.json()) as ErrorBody).error.code).toBe("unauthorized");
  }
});

test("a token holder reaches the API; unknown API routes are JSON 404s", async ({ request, seededUser }) => {
  const headers = { authorization: `Bearer ${seededUser.token}` };
  const me = await request.get("/api/v1/me", { headers });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({
    userId: seededUser.userId,
    tenantId: seededUser.tenantId,
    role: "admin",
    via: "token",
  });
  const missing = await request.get("/api/v1/does-not-exist", { headers });
  expect(missing.status()).toBe(404);
  expect(((await missing.json()) as ErrorBody).error.code).toBe("not_found");
});

test("/readyz lists every dependency and /metrics is Prometheus text", async ({ request }) => {
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  expect(Object.keys(((await ready.json()) as { checks: object }).checks).sort()).toEqual([
    "kafka",
    "opa",
    "openfga",
    "postgres",
    "redis",
  ]);
  const metrics = await request.get("/metrics");
  const text = await metrics.text();
  expect(text).toContain("somaagent_http_requests_total");
  expect(text).toContain("somaagent_http_request_duration_seconds_bucket");
  expect(text).toContain('route="/readyz"');
});
