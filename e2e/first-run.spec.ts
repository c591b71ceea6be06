// A first run as a new user meets it: no provider key, nothing configured. The offline demo model
// answers (labelled as such) and its tools are real; once a provider is chosen in Settings, that
// provider answers the next turn and the banner is gone.
import type { Page } from "@playwright/test";
import { FIRST_RUN_PORT } from "../playwright.config";
import { expect, test } from "./fixtures/api";
import { send, signIn } from "./fixtures/ui";

test.use({ baseURL: `http://127.0.0.1:${FIRST_RUN_PORT}` });

const lastAnswer = (page: Page) => page.getByTestId("assistant-message").last();

test("with no API key the offline demo model answers, until a provider is configured", async ({
  page,
  operator,
}) => {
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await signIn(page, operator);

  const banner = page.getByTestId("offline-banner");
  await expect(banner).toContainText("Offline demo model: answers are scripted.");
  await expect(page.locator("header").getByText("Offline demo")).toBeVisible();

  await send(page, "what is 6 times 7");
  const card = page.getByTestId("tool-card");
  await expect(card).toBeVisible();
  await expect(card).toContainText("code_execution");
  await expect(card).toHaveAttribute("data-status", "succeeded", { timeout: 20_000 });
  await expect(lastAnswer(page)).toHaveAttribute("data-complete", "true");
  await expect(lastAnswer(page)).toContainText("42");

  // The banner's link opens the Models tab, where the fallback is shown as such.
  await banner.getByRole("link", { name: "Settings →" }).click();
  await expect(page.getByRole("tab", { name: "Models" })).toHaveAttribute("aria-selected", "true");
  const chat = page.getByRole("group", { name: "Chat model", exact: true });
  await expect(chat.locator('[data-field="models.chat.provider"]')).toContainText("default (offline)");

  // Another OpenAI-compatible provider (the test provider under another name) for the chat model.
  await chat.getByLabel("Provider").selectOption({ label: "Other OpenAI-compatible" });
  await chat.getByLabel("Base URL").fill(`http://127.0.0.1:3191/v1`);
  await chat.getByLabel("Model").fill("stub-chat");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("save-result")).toHaveText("Saved. The change is in effect now.");
  await expect(chat.locator('[data-field="models.chat.provider"]')).toContainText("saved here");

  await page.goto("/");
  await send(page, "hello again");
  await expect(lastAnswer(page)).toHaveAttribute("data-complete", "true");
  await expect(lastAnswer(page)).toHaveText("Echo: hello again");
  await expect(banner).toHaveCount(0);
  await expect(page.locator("header").getByText("stub-chat")).toBeVisible();
  expect(consoleErrors).toEqual([]);
});
