// Sharing and budgets as people see them: the owner shares a session with a colleague, who finds it
// marked "shared" and can read it but not post; the sidebar shows the token budget left.
import { expect, test } from "./fixtures/api";
import { send, signIn } from "./fixtures/ui";

test("a shared session is read-only for the colleague; the budget line shows what is left", async ({
  browser,
  page,
  seededUser,
  colleague,
}) => {
  await signIn(page, seededUser);
  const budget = page.getByTestId("budget");
  await expect(budget).toHaveText("2,000,000 of 2,000,000 tokens left today");
  await send(page, "notes for the team");
  await expect(page.getByTestId("assistant-message")).toHaveAttribute("data-complete", "true");
  await expect(budget).toHaveText(/^1,9\d\d,\d{3} of 2,000,000 tokens left today$/, { timeout: 10_000 });

  await page.getByRole("button", { name: "Share" }).click();
  const dialog = page.getByRole("dialog", { name: "Share this session" });
  await dialog.getByLabel("Colleague's email").fill("nobody@test.local");
  await dialog.getByRole("button", { name: "Share" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("No such user in your organisation.");
  await dialog.getByLabel("Colleague's email").fill(colleague.email);
  await dialog.getByLabel("Colleague's email").press("Enter");
  await expect(dialog.getByRole("status")).toContainText(`Shared with ${colleague.email}`);
  await expect(dialog.getByRole("list", { name: "Shared with" })).toContainText(colleague.email);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  const theirs = await browser.newPage();
  try {
    await signIn(theirs, colleague);
    const row = theirs.getByTestId("session-row");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("shared");
    await expect(row.getByRole("button", { name: /Rename/ })).toHaveCount(0);
    await row.getByRole("button", { name: "notes for the team" }).click();
    await expect(theirs.getByTestId("user-message")).toHaveText("notes for the team");
    await expect(theirs.getByLabel("Message")).toBeDisabled();
    await expect(theirs.getByLabel("Message")).toHaveAttribute("placeholder", "Shared with you: read only");
    await expect(theirs.getByRole("button", { name: "Share" })).toHaveCount(0);

    // The owner stops sharing: after a reload the colleague no longer has it.
    await page.getByRole("button", { name: "Share" }).click();
    await dialog.getByRole("button", { name: `Stop sharing with ${colleague.email}` }).click();
    await expect(dialog.getByText("Not shared with anyone yet.")).toBeVisible();
    await page.keyboard.press("Escape");
    await theirs.reload();
    await expect(theirs.getByTestId("session-row")).toHaveCount(0);
  } finally {
    await theirs.close();
  }
});
