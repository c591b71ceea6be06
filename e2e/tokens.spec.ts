// API tokens in the browser: create one, see its secret once, use it, revoke it, and it stops working.
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

test("create an API token, use it, revoke it", async ({ page, seededUser, request }) => {
  await signIn(page, seededUser);
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  const rows = page.getByTestId("token-row");
  await expect(rows).toHaveCount(1); // the seeded one

  await page.getByLabel("Name").fill("x".repeat(100));
  await page.getByLabel("Expires after (days, optional)").fill("0");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator("input[aria-invalid=true]")).toHaveCount(1);

  await page.getByLabel("Name").fill("laptop script");
  await page.getByLabel("Expires after (days, optional)").fill("30");
  await page.getByLabel("Expires after (days, optional)").press("Enter");
  const box = page.getByTestId("new-token");
  await expect(box).toContainText("laptop script: copy this token now. It is not shown again.");
  const secret = (await box.locator("code").textContent())!;
  expect(secret).toMatch(/^soma_/);
  await expect(rows).toHaveCount(2);

  const auth = { authorization: `Bearer ${secret}` };
  expect((await request.get("/api/v1/sessions", { headers: auth })).status()).toBe(200);

  await page.getByRole("button", { name: "Done" }).click();
  await expect(box).toBeHidden();
  await expect(page.getByText(secret)).toHaveCount(0); // shown once only
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke laptop script" }).click();
  await expect(rows.filter({ hasText: "laptop script" })).toContainText("Revoked");
  expect((await request.get("/api/v1/sessions", { headers: auth })).status()).toBe(401);

  // The tenant admin finds both in the audit log.
  await page.goto("/");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Action").fill("token.revoke");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("audit-row")).toHaveCount(1);
  await expect(page.getByTestId("audit-row")).toContainText("token.revoke");
  await expect(page.getByRole("link", { name: "Export NDJSON" })).toHaveAttribute(
    "href",
    "/api/v1/audit?action=token.revoke&format=ndjson",
  );
});
