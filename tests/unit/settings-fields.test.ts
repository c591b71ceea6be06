// The panel's fields against the settings schema: every field is a setting the schema knows, and a
// number field's bounds are the schema's own (typed once, in lib/config/schema.ts).
import { describe, expect, it } from "vitest";
import { FIELDS } from "@/lib/settings/fields";
import { numberBounds } from "@/lib/settings/service";

describe("settings fields", () => {
  it("take a number field's bounds from the schema", () => {
    expect(numberBounds("speech.turnDetection.threshold")).toEqual({ min: 0, max: 1 });
    expect(numberBounds("speech.turnDetection.silenceMs")).toEqual({ min: 100, max: 10_000 });
    expect(numberBounds("models.chat.temperature")).toEqual({ min: 0, max: 2 });
  });

  it("have bounds for every number field the schema bounds, and none invented", () => {
    for (const f of FIELDS.filter((x) => x.kind === "number")) {
      const b = numberBounds(f.key);
      expect(Object.keys(b).length, f.key).toBeGreaterThan(0);
      if (b.min !== undefined && b.max !== undefined) expect(b.min, f.key).toBeLessThan(b.max);
    }
  });
});
