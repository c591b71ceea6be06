import { describe, expect, it } from "vitest";
import { findUnstorableText, unstorableText } from "@/lib/http/storable-text";

describe("text Postgres cannot store", () => {
  it("is a NUL or half a surrogate pair; whole pairs and other controls are fine", () => {
    expect(unstorableText("a\u0000b")).toBe(true);
    expect(unstorableText("x\ud83d")).toBe(true);
    expect(unstorableText("\ude00y")).toBe(true);
    expect(unstorableText("smile \ud83d\ude00, tab\t, bell\u0007")).toBe(false);
  });

  it("is found by path in keys and values at any depth", () => {
    expect(findUnstorableText({ a: [1, { b: "ok" }, { c: "no\u0000" }] })).toBe("a.2.c");
    expect(findUnstorableText({ meta: { "k\u0000": 1 } })).toBe("meta.k\u0000");
    expect(findUnstorableText("\u0000")).toBe("(root)");
    expect(findUnstorableText({ a: ["fine", 2, null, true] })).toBeUndefined();
  });
});
