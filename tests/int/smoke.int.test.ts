// `make smoke` (scripts/smoke.ts) run as CI would, against a real gateway and executor: all checks
// pass with a token and with a password, the session it made is gone afterwards, and a wrong token
// fails clearly (the sign-in check names the 401, what depends on it is skipped, the exit code is 1).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedUser, startChatStack, type ChatStack, type TestUser } from "../helpers/chat";
import { freePort, ROOT } from "../helpers/services";

const exec = promisify(execFile);
let stack: ChatStack;
let alice: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  alice = await seedUser(stack.db, "member");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function smoke(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const k of ["URL", "TOKEN", "EMAIL", "PASSWORD"]) delete clean[k];
  try {
    const r = await exec("npx", ["tsx", "scripts/smoke.ts"], { cwd: ROOT, env: { ...clean, ...env } });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CHECKS = ["health", "readiness", "sign-in", "session", "turn", "tool", "settings", "cleanup"];
const marks = (stdout: string) =>
  Object.fromEntries(
    stdout
      .split("\n")
      .map((l) => /^([✔✘-]) (\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2]!, m[1]!]),
  );

describe("make smoke", () => {
  it("passes every check with a token, prints no secret, and leaves no session behind", async () => {
    const r = await smoke({ URL: stack.base, TOKEN: alice.token });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(marks(r.stdout)).toEqual(Object.fromEntries(CHECKS.map((c) => [c, "✔"])));
    expect(r.stdout).toMatch(/✔ turn +answered "Echo: Smoke test/);
    expect(r.stdout).toContain("✔ tool      code_execution printed 42");
    expect(r.stdout.trim().split("\n").at(-1)).toBe(
      `smoke: all ${CHECKS.length} checks passed against ${stack.base}`,
    );
    expect(r.stdout + r.stderr).not.toContain(alice.token);
    const left = await stack.db.session.count({
      where: { ownerId: alice.userId, title: { startsWith: "Smoke test" }, deletedAt: null },
    });
    expect(left).toBe(0);
    const made = await stack.db.session.count({
      where: { ownerId: alice.userId, title: { startsWith: "Smoke test" } },
    });
    expect(made).toBe(1);
  });

  it("signs in with a password instead", async () => {
    const r = await smoke({ URL: stack.base, EMAIL: alice.email, PASSWORD: alice.password });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`✔ sign-in   as ${alice.email} (password)`);
    expect(r.stdout + r.stderr).not.toContain(alice.password);
  });

  it("fails clearly with a wrong token", async () => {
    const r = await smoke({ URL: stack.base, TOKEN: `${alice.token.slice(0, -4)}xxxx` });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✘ sign-in +the token was refused: 401 unauthorized: .+/m);
    expect(marks(r.stdout)).toEqual({
      health: "✔",
      readiness: "✔",
      "sign-in": "✘",
      session: "-",
      turn: "-",
      tool: "-",
      settings: "-",
      cleanup: "-",
    });
    expect(r.stdout.trim().split("\n").at(-1)).toBe(
      `smoke: FAILED against ${stack.base}: sign-in failed, 5 skipped`,
    );
  });

  it("fails clearly when nothing answers, and on bad usage", async () => {
    const r = await smoke({ URL: `http://127.0.0.1:${await freePort()}`, TOKEN: alice.token });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✘ health +request failed: .*ECONNREFUSED/m);
    const usage = await smoke({ TOKEN: alice.token });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: make smoke URL=");
  });
});
