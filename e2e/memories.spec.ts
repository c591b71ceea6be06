// Memories in the browser: one saved by the agent in a conversation links back to it; search by
// words and by meaning; edit; delete. A shared memory saved by the admin is read-only to a member.
import { expect, test } from "./fixtures/api";
import { send, signIn } from "./fixtures/ui";

test("search, edit and delete memories, and follow one back to its conversation", async ({
  page,
  seededUser,
  request,
}) => {
  const auth = { authorization: `Bearer ${seededUser.token}` };
  for (const content of ["My car is a blue Volvo", "The dentist is on Elm Street"]) {
    const res = await request.post("/api/v1/memories", { headers: auth, data: { content } });
    expect(res.status()).toBe(201);
  }
  await signIn(page, seededUser);
  await send(page, '[[tool:memory_save {"content": "My favourite colour is teal"}]]');
  await expect(page.getByTestId("tool-card").first()).toContainText("memory_save");
  await expect(page.getByTestId("tool-card").first()).toHaveAttribute("data-status", "succeeded");
  await expect(page).toHaveURL(/\?s=/);
  const sessionUrl = new URL(page.url());

  await page.getByRole("link", { name: "Memories" }).click();
  await expect(page.getByRole("heading", { name: "Memories", level: 1 })).toBeVisible();
  const memories = page.getByTestId("memory");
  await expect(memories).toHaveCount(3);

  // By meaning: "automobile" shares no word with the car memory.
  await page.getByLabel("Search").fill("automobile");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("search-mode")).toHaveText("Ranked by words and meaning.");
  await expect(memories).toHaveCount(1);
  await expect(memories.first().getByTestId("memory-content")).toHaveText("My car is a blue Volvo");

  // Edit it: the new words are what a search finds.
  await memories.first().getByRole("button", { name: "Edit" }).click();
  await memories.first().getByLabel("Memory").fill("My car is a red Saab");
  await memories.first().getByRole("button", { name: "Save" }).click();
  await expect(memories.first().getByTestId("memory-content")).toHaveText("My car is a red Saab");
  await page.getByLabel("Search").fill("Saab");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(memories).toHaveCount(1);
  await expect(memories.first()).toContainText("My car is a red Saab");

  // Delete it: gone from the page and from the API.
  page.once("dialog", (d) => void d.accept());
  await memories.first().getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("no-memories")).toBeVisible();
  const left = await request.get("/api/v1/memories?query=Saab", { headers: auth });
  expect(((await left.json()) as { items: unknown[] }).items).toEqual([]);

  // The agent's memory links back to the conversation and the message it came from.
  await page.getByLabel("Search").fill("favourite colour");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(memories).toHaveCount(1);
  await memories.first().getByTestId("saved-from").click();
  await expect(page).toHaveURL(new RegExp(`\\?s=${sessionUrl.searchParams.get("s")}#m-`));
  const messageId = new URL(page.url()).hash.slice(1);
  await expect(page.locator(`[id="${messageId}"]`)).toContainText("memory_save");
});

test("a member reads a shared memory but cannot change it", async ({
  page,
  seededUser,
  colleague,
  request,
}) => {
  const res = await request.post("/api/v1/memories", {
    headers: { authorization: `Bearer ${seededUser.token}` },
    data: { content: "The office wifi is called Orchard", scope: "tenant" },
  });
  expect(res.status()).toBe(201);
  await signIn(page, colleague);
  await page.goto("/memories");
  const memory = page.getByTestId("memory").filter({ hasText: "Orchard" });
  await expect(memory).toContainText("Shared with your organisation");
  await expect(memory.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await expect(memory.getByRole("button", { name: "Delete" })).toHaveCount(0);
});
