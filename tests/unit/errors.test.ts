import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, fromZod, toAppError, toResponse } from "@/lib/errors";

describe("AppError", () => {
  it("maps codes to statuses and keeps details", async () => {
    const res = toResponse(
      new AppError("rate_limited", "Slow down", { headers: { "retry-after": "3" }, details: { limit: 1 } }),
    );
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({
      error: { code: "rate_limited", message: "Slow down", details: { limit: 1 } },
    });
  });

  it("turns zod issues into a 400 that names the field", () => {
    const parsed = z.object({ title: z.string().max(3) }).safeParse({ title: "too long" });
    const err = fromZod(parsed.error!);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Invalid request body: title: /);
    expect(err.details).toEqual([{ field: "title", message: expect.any(String) as string }]);
  });

  it("answers 503 with Retry-After, not 500, when a dependency is down or saturated", () => {
    for (const cause of [
      Object.assign(new Error("Unable to start a transaction in the given time."), { code: "P2028" }),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:15432"), { code: "ECONNREFUSED" }),
      new Error("wrapped", { cause: Object.assign(new Error("pool timeout"), { code: "P2024" }) }),
    ]) {
      const e = toAppError(cause);
      expect(e.status).toBe(503);
      expect(e.headers["retry-after"]).toBe("5");
      expect(e.message).not.toContain("15432");
    }
  });

  it("recognises an AppError from another copy of the module (Next bundles vs the server)", () => {
    const foreign = Object.assign(new Error("x"), {
      [Symbol.for("somaagent.AppError")]: true,
      code: "conflict",
    });
    expect(foreign instanceof AppError).toBe(true);
  });

  it("never exposes an unexpected error's message", async () => {
    const e = toAppError(new Error("password=hunter2 in a SQL error"));
    expect(e.status).toBe(500);
    const body = JSON.stringify(await toResponse(e).json());
    expect(body).not.toContain("hunter2");
  });
});
