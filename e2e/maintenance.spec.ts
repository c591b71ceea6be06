// Maintenance mode in the browser: switched on through the API, the banner appears on a page that
// is already open (pushed, no reload) and on a page opened afterwards; a message sent then is
// refused with the maintenance message; switched off, the banner goes away on its own.
import { expect, test } from "./fixtures/api";
import { send, signIn } from "./fixtures/ui";

const PATH = "/api/v1/admin/maintenance";

test("the maintenance banner comes and goes on open pages", async ({ page, request, operator }) => {
  const headers = { authorization: `Bearer ${operator.token}` };
  await signIn(page, operator);
  const banner = page.getByTestId("maintenance-banner");
  await expect(banner).toBeHidden();
  try {
    const until = new Date(Date.now() + 5 * 60_000).toISOString();
    const on = await request.post(PATH, { headers, data: { message: "Upgrading the e2e database", until } });
    expect(on.status()).toBe(200);
    await expect(banner).toContainText("Upgrading the e2e database");
    await expect(banner).toContainText("until");

    await send(page, "hello during maintenance");
    await expect(page.getByText(/SomaAgent is in maintenance: Upgrading the e2e database/)).toBeVisible();

    const other = await page.context().newPage();
    await other.goto("/settings");
    await expect(other.getByTestId("maintenance-banner")).toContainText("Upgrading the e2e database");
    await other.close();
  } finally {
    expect((await request.delete(PATH, { headers })).status()).toBe(200);
  }
  await expect(banner).toBeHidden();
});
