// The order of the statements dropDatabase tries (lib/db/scratch-database.ts). CI found the drift
// check refused with 42501 when an autovacuum worker was in its scratch database; that case cannot be
// provoked on demand, so the choice after each refusal is checked here and the drop itself in
// tests/int/drop-database.int.test.ts.
import { describe, expect, it } from "vitest";
import { nextDropStatement } from "@/lib/db/scratch-database";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("dropDatabase's next statement", () => {
  it("goes to a plain DROP when FORCE may not end a connection that is not the role's (an autovacuum worker)", () => {
    const err = pgError(
      "42501",
      "must be a member of the role whose process is being terminated or member of pg_signal_backend",
    );
    expect(nextDropStatement("force", err)).toBe("plain");
  });

  it("goes back to FORCE when a plain DROP finds the database still in use", () => {
    const err = pgError("55006", 'database "x" is being accessed by other users');
    expect(nextDropStatement("plain", err)).toBe("force");
  });

  it("gives up on anything else: a missing privilege for the plain DROP, a lost connection, a non-Postgres error", () => {
    expect(nextDropStatement("plain", pgError("42501", "must be owner of database x"))).toBeNull();
    expect(nextDropStatement("force", pgError("57P01", "terminating connection"))).toBeNull();
    expect(nextDropStatement("force", new Error("Connection terminated"))).toBeNull();
    expect(nextDropStatement("force", undefined)).toBeNull();
  });
});
