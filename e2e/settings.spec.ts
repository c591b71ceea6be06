// The settings panel as an operator uses it: a locked field, an invalid address caught inline, the
// chat model and the voice changed and still there after a reload, "test connection" succeeding
// and then failing readably with a wrong key, the microphone level meter and a voice sample.
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

const group = (page: Page, name: string): Locator => page.getByRole("group", { name, exact: true });

test("edit models and speech, with locks, validation, test connection and a reload", async ({
  page,
  operator,
}) => {
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await signIn(page, operator);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();

  const chat = group(page, "Chat model");
  // Set by an environment variable: shown with the variable's name, not editable.
  const chatUrl = chat.getByLabel("Base URL");
  await expect(chatUrl).toBeDisabled();
  await expect(chat.locator('[data-field="models.chat.baseUrl"]')).toContainText(
    "Locked by SOMA_MODELS_CHAT_BASE_URL",
  );

  // An invalid address is caught next to the field, and Save waits until it is fixed.
  const utilityUrl = group(page, "Utility model").getByLabel("Base URL");
  const original = await utilityUrl.inputValue();
  await utilityUrl.fill("not a url");
  await expect(group(page, "Utility model").getByRole("alert")).toHaveText(
    "Enter a full address, e.g. https://api.openai.com/v1.",
  );
  await expect(page.getByRole("button", { name: "Save" })).toBeDisabled();
  await utilityUrl.fill(original);
  await expect(group(page, "Utility model").getByRole("alert")).toHaveCount(0);

  // Test connection with what is entered: first as configured, then with a wrong key.
  await chat.getByLabel("Model").fill("stub-chat-2");
  await expect(page.getByTestId("unsaved")).toHaveText("Unsaved changes (1)");
  await chat.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-models.chat")).toHaveText(
    /^Connected: SomaAgent test provider \(offline\) answered with stub-chat-2 in \d+ ms\.$/,
  );
  await chat.getByLabel("API key").fill("wrong-key");
  await chat.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-models.chat")).toHaveText(
    "The provider refused the API key (401). Check the key.",
  );
  await chat.getByLabel("API key").fill("");

  // The voice, in the Speech section (arrow keys move between sections).
  await page.getByRole("tab", { name: "Models" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("tab", { name: "Speech" })).toHaveAttribute("aria-selected", "true");
  const tts = group(page, "Text to speech");
  await tts.getByLabel("Voice").fill("alloy");
  await tts.getByRole("button", { name: "Play a sample" }).click();
  await expect(page.getByTestId("voice-playing").or(tts.getByRole("alert"))).toBeVisible();
  await expect(tts.getByRole("alert")).toHaveCount(0);

  // The microphone picker's level meter moves with the (fake) microphone.
  await page.getByRole("button", { name: "Check level" }).click();
  await expect
    .poll(async () => Number(await page.getByTestId("mic-level").getAttribute("aria-valuenow")), {
      timeout: 10_000,
    })
    .toBeGreaterThan(0);
  await page.getByRole("button", { name: "Stop" }).click();

  await expect(page.getByTestId("unsaved")).toHaveText("Unsaved changes (2)");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("save-result")).toHaveText("Saved. The change is in effect now.");
  await expect(page.getByTestId("unsaved")).toHaveCount(0);

  await page.reload();
  await expect(group(page, "Chat model").getByLabel("Model")).toHaveValue("stub-chat-2");
  await expect(group(page, "Chat model").locator('[data-field="models.chat.name"]')).toContainText(
    "saved here",
  );
  await page.getByRole("tab", { name: "Speech" }).click();
  await expect(group(page, "Text to speech").getByLabel("Voice")).toHaveValue("alloy");

  // The quick settings dialog from the chat shows the same values.
  await page.goto("/");
  await page.getByRole("button", { name: "Quick settings" }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await expect(dialog.getByRole("group", { name: "Chat model" }).getByLabel("Model")).toHaveValue(
    "stub-chat-2",
  );
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(consoleErrors).toEqual([]);
});

test("a member sees the settings but cannot save them", async ({ page, colleague }) => {
  await signIn(page, colleague);
  await page.goto("/settings");
  const chat = group(page, "Chat model");
  await chat.getByLabel("Temperature").fill("0.3");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("save-result")).toContainText('only admins of the "default" organisation');
});
