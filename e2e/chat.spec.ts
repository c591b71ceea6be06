// Chat as a person uses it, in Chromium against the real stack and the test provider: sign in, talk,
// watch a tool run, stop a slow answer, reload and find everything, rename and delete sessions.
import { expect, test } from "./fixtures/api";
import { send, signIn } from "./fixtures/ui";

test("a conversation: streamed answer, a tool run, a stopped answer, all there after a reload", async ({
  page,
  seededUser,
}) => {
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill(seededUser.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  consoleErrors.length = 0; // the refused sign-in's 401 is expected
  await page.getByLabel("Password").fill(seededUser.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("empty-conversation")).toBeVisible({ timeout: 15_000 });

  // The answer arrives in several visible steps (recorded as the page renders them).
  await page.evaluate(() => {
    const texts = new Set<string>();
    (window as unknown as { __texts: Set<string> }).__texts = texts;
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="assistant-message"]');
      if (el?.textContent) texts.add(el.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await send(page, "tell me about streaming [[delay:120]]");
  const answer = page.getByTestId("assistant-message").first();
  await expect(answer).toHaveAttribute("data-complete", "true");
  await expect(answer).toHaveText("Echo: tell me about streaming");
  const steps = await page.evaluate(() => (window as unknown as { __texts: Set<string> }).__texts.size);
  expect(steps).toBeGreaterThanOrEqual(3);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("tell me about streaming");
  await expect(page).toHaveURL(/\?s=[0-9a-f-]{36}$/);

  // A tool card goes from running to its result.
  await send(
    page,
    'sum it [[tool:code_execution {"runtime":"python","code":"import time; time.sleep(1.5); print(6*7)"}]]',
  );
  const card = page.getByTestId("tool-card");
  await expect(card.getByTestId("tool-status")).toContainText("Running", { timeout: 10_000 });
  await expect(card.getByTestId("tool-status")).toContainText("Done", { timeout: 20_000 });
  await card.locator("summary").click();
  await expect(card.getByTestId("tool-result")).toHaveText("42");
  await expect(page.getByTestId("assistant-message").last()).toContainText("42");

  // Stop a slow answer mid-stream.
  await send(page, "a very long story [[slow]]");
  const slow = page.getByTestId("assistant-message").last();
  await expect(slow).toContainText("word3", { timeout: 10_000 });
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByTestId("turn-notice")).toHaveText("Stopped.");
  const stoppedAt = await slow.textContent();
  await page.waitForTimeout(500);
  expect(await slow.textContent()).toBe(stoppedAt);
  expect(stoppedAt).not.toContain("word299");
  await expect(page.getByRole("button", { name: "Send" })).toBeVisible();

  // Reload: the whole conversation is still there.
  await page.reload();
  await expect(page.getByTestId("user-message")).toHaveCount(3, { timeout: 15_000 });
  await expect(page.getByTestId("assistant-message").first()).toHaveText("Echo: tell me about streaming");
  await expect(page.getByTestId("tool-card").getByTestId("tool-status")).toContainText("Done");
  await expect(page.getByTestId("turn-notice")).toHaveText("Stopped.");
  await page.screenshot({ path: "test-results/chat.png", fullPage: true });

  // Narrow (phone) screen: the sessions live in a drawer.
  await page.setViewportSize({ width: 390, height: 780 });
  await expect(page.getByRole("navigation", { name: "Sessions" })).toBeHidden();
  await page.getByRole("button", { name: "Sessions" }).click();
  await expect(page.getByRole("navigation", { name: "Sessions" })).toBeVisible();
  await page.waitForTimeout(300); // the drawer's slide-in
  await page.screenshot({ path: "test-results/chat-phone.png" });

  expect(consoleErrors).toEqual([]);
});

test("sessions: new, rename, delete, newest first; sign out", async ({ page, seededUser }) => {
  await signIn(page, seededUser);
  await send(page, "first session");
  await expect(page.getByTestId("assistant-message")).toHaveAttribute("data-complete", "true");
  await page.getByRole("button", { name: "+ New chat" }).click();
  await expect(page.getByTestId("empty-conversation")).toBeVisible();
  await send(page, "second session");
  await expect(page.getByTestId("assistant-message")).toHaveAttribute("data-complete", "true");
  const rows = page.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("second session");

  await page.getByRole("button", { name: "Rename second session" }).click();
  const input = page.getByLabel("Session title");
  await input.fill("Renamed by keyboard");
  await input.press("Enter");
  await expect(rows.first()).toContainText("Renamed by keyboard");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Renamed by keyboard");

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete Renamed by keyboard" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("first session");
  await page.reload();
  await expect(page.getByTestId("session-row")).toHaveCount(1, { timeout: 15_000 });

  // Signing out ends the session: the chat sends you back to the sign-in page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("a provider failure shows a readable error with Retry", async ({ page, seededUser }) => {
  await signIn(page, seededUser);
  await send(page, "this will fail [[error:500]]");
  const notice = page.getByTestId("turn-notice");
  await expect(notice).toContainText("The model provider failed (500)", { timeout: 20_000 });
  const retry = notice.getByRole("button", { name: "Retry" });
  await expect(retry).toBeEnabled();
  await retry.click();
  await expect(page.getByTestId("user-message")).toHaveCount(2);
  await expect(page.getByTestId("turn-notice")).toHaveCount(2, { timeout: 20_000 });
});

test("Shift+Enter adds a line instead of sending", async ({ page, seededUser }) => {
  await signIn(page, seededUser);
  const box = page.getByLabel("Message");
  await box.fill("line one");
  await box.press("Shift+Enter");
  await box.pressSequentially("line two");
  await expect(box).toHaveValue("line one\nline two");
  await expect(page.getByTestId("user-message")).toHaveCount(0);
  await box.press("Enter");
  await expect(page.getByTestId("user-message")).toHaveText("line one\nline two");
});
