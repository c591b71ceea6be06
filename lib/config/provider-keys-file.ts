// Where the settings panel keeps provider API keys: provider-keys.json beside the settings file.
// lib/settings reads and writes the keys; the configuration only asks which groups have one.
import fs from "node:fs";
import path from "node:path";

export function providerKeysPath(settingsPath: string): string {
  return path.join(path.dirname(settingsPath), "provider-keys.json");
}

/** The settings groups ("models.chat", ...) with a stored key; never the keys themselves. */
export function groupsWithStoredKey(settingsPath: string): Set<string> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(providerKeysPath(settingsPath), "utf8"));
  } catch {
    return new Set(); // no file, or one the settings API will report when it reads the keys
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) return new Set();
  return new Set(
    Object.entries(data)
      .filter(([, v]) => typeof v === "string" && v !== "")
      .map(([k]) => k),
  );
}
