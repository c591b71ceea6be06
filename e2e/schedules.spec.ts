// Schedules in the browser: create one from the page (a bad cron expression is refused at its field,
// the preview says the timing in words), run it now, follow its run to the session with the answer,
// change its timing, switch it off.
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

test("create a schedule, run it now, read its answer, edit it, switch it off", async ({
  page,
  seededUser,
}) => {
  await signIn(page, seededUser);
  await page.getByRole("link", { name: "Schedules" }).click();
  await expect(page.getByRole("heading", { name: "Schedules", level: 1 })).toBeVisible();
  await expect(page.getByText("No schedules yet.")).toBeVisible();

  await page.getByRole("button", { name: "New schedule" }).click();
  await page.getByLabel("Name").fill("Morning report");
  await page.getByLabel("Prompt").fill("summarise the news");
  await page.getByLabel("Time zone").fill("Europe/Berlin");
  await page.getByLabel("Cron expression").fill("0 25 * * 1-5");
  await page.getByRole("button", { name: "Create schedule" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "not a valid cron expression" })).toBeVisible();

  await page.getByLabel("Cron expression").fill("0 9 * * 1-5");
  await expect(page.getByTestId("cron-preview")).toHaveText("every weekday at 09:00 Europe/Berlin");
  await page.getByRole("button", { name: "Create schedule" }).click();
  const row = page.getByTestId("schedule-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Morning report");
  await expect(row).toContainText("every weekday at 09:00 Europe/Berlin");

  await row.getByRole("button", { name: "Run now" }).click();
  const run = page.getByTestId("run-history").getByTestId("run-row");
  await expect(run).toHaveCount(1);
  await expect(run).toContainText("succeeded", { timeout: 30_000 });
  await run.getByRole("link", { name: "Open session" }).click();
  await expect(page.getByText("Echo: summarise the news")).toBeVisible({ timeout: 15_000 });

  await page.goto("/schedules");
  await expect(row).toContainText("succeeded");
  await row.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByLabel("Cron expression")).toHaveValue("0 9 * * 1-5");
  await page.getByLabel("Cron expression").fill("30 7 * * *");
  await expect(page.getByTestId("cron-preview")).toHaveText("every day at 07:30 Europe/Berlin");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(row).toContainText("every day at 07:30 Europe/Berlin");

  const enabled = page.getByRole("switch", { name: "Enable Morning report" });
  await expect(enabled).toBeChecked();
  await enabled.click();
  await expect(enabled).not.toBeChecked();
  await page.reload();
  await expect(page.getByRole("switch", { name: "Enable Morning report" })).not.toBeChecked();
});
