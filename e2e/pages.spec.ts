// Every page, opened fresh at phone and desktop width, renders without a console error or a page
// error (a hydration mismatch is one: React reports it on the console).
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

const PAGES = [
  { path: "/", ready: "Message" },
  { path: "/settings", ready: "Settings" },
  { path: "/tokens", ready: "API tokens" },
  { path: "/audit", ready: "Audit log" },
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
