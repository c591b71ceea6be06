// Processes that start together on one settings file (several gateway processes on one host, or two
// gateways started side by side) both find the file newer than what is stored and both store it:
// the second write is refused as a conflict. It must not stop the process that lost: it reads the
// stored settings again and takes them (they hold the same file). The test found in CI stopped one
// of two gateways at start with "The settings were changed meanwhile by another process".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";

// This process's settings: a file of its own and a scope nothing else uses, set before the config
// is first read.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-settings-race-"));
const file = path.join(dir, "settings.json");
fs.writeFileSync(file, JSON.stringify({ agent: { maxSteps: 9 } }));
process.env.SOMA_SETTINGS_FILE = file;
process.env.SOMA_SETTINGS_SCOPE = `test-race-${crypto.randomUUID()}`;

const { syncAtStart } = await import("@/lib/settings/shared");
const { readStored, settingsScope } = await import("@/lib/settings/store");
const { db } = await import("@/lib/server/db");
const { createRedis } = await import("@/lib/server/redis");
const { settings } = await import("../helpers/services");

const redis = createRedis(settings().redis.url);

afterAll(async () => {
  await db().settingsDocument.deleteMany({ where: { scope: settingsScope() } });
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("settings at start", () => {
  it("two processes storing the same newer file at once both start, and one version is stored", async () => {
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    // Both read "nothing stored" before either writes: the second write is the refused one.
    const results = await Promise.allSettled([syncAtStart(redis, log), syncAtStart(redis, log)]);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "started"))).toEqual([
      "started",
      "started",
    ]);
    const stored = await readStored(db());
    expect(stored).toMatchObject({ version: 1, document: { agent: { maxSteps: 9 } } });
    expect(lines.join("")).toContain("settings stored by another process meanwhile; reading them again");
  });
});
