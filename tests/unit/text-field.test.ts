// Request text fields: what the OpenAPI document says of them is what the parser does, white space
// around the text or not (the limit is on the text as sent; blank text is refused).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { requiredText, trimmedText } from "@/lib/api/text-field";
import { renameSessionBody } from "@/lib/sessions/schemas";

describe("text fields", () => {
  it("documents the limit as sent and the non-blank rule", () => {
    expect(z.toJSONSchema(requiredText(200), { io: "input" })).toMatchObject({
      type: "string",
      maxLength: 200,
      pattern: "\\S",
    });
    expect(z.toJSONSchema(trimmedText(10), { io: "input" })).toMatchObject({ maxLength: 10 });
  });

  it("refuses text over the limit even when trimming would bring it under", () => {
    const padded = `\n${"x".repeat(200)}`;
    expect(renameSessionBody.safeParse({ title: padded }).success).toBe(false);
    expect(renameSessionBody.parse({ title: "x".repeat(200) }).title).toHaveLength(200);
    expect(trimmedText(3).safeParse("  ab").success).toBe(false);
  });

  it("trims what it accepts and refuses blank text, naming the rule", () => {
    expect(renameSessionBody.parse({ title: "  Plans \n" })).toEqual({ title: "Plans" });
    for (const blank of ["", "   ", "\n\t"]) {
      const r = requiredText(200).safeParse(blank);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe("must not be blank");
    }
    expect(trimmedText(10).parse("  ")).toBe("");
  });
});
