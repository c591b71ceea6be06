// dropDatabase (lib/db/scratch-database.ts) on the real Postgres, as the application role: the drift
// check, the Prisma CLI's shadow and the tests drop their scratch databases with it.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { databaseUrl, dropDatabase } from "@/lib/db/scratch-database";
import { settings } from "../helpers/services";

const serverUrl = () => settings().database.url;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

const exists = async (name: string) =>
  (await query(serverUrl(), `select 1 from pg_database where datname = '${name}'`)).length === 1;

describe("dropDatabase", () => {
  it("drops a database someone is still connected to, ending that connection", async () => {
    const name = `drop_test_${process.pid}_${Date.now()}`;
    await query(serverUrl(), `create database "${name}"`);
    const lingering = new pg.Client({ connectionString: databaseUrl(serverUrl(), name) });
    await lingering.connect();
    await lingering.query("begin; create table t (x int); insert into t values (1)");
    const errors: Error[] = [];
    lingering.on("error", (err) => errors.push(err)); // the server's notice, then the socket's end

    await dropDatabase(serverUrl(), name);

    expect(await exists(name)).toBe(false);
    await expect(lingering.query("select 1")).rejects.toThrow();
    expect(errors.map((e) => e.message).join("\n")).toMatch(/terminat/);
    await lingering.end().catch(() => undefined);
  });

  it("does nothing for a database that is not there", async () => {
    await expect(dropDatabase(serverUrl(), `drop_test_absent_${Date.now()}`)).resolves.toBeUndefined();
  });

  it("throws Postgres's error when the role may not drop the database", async () => {
    // The server's own maintenance database belongs to the superuser, not to the application role.
    await expect(dropDatabase(serverUrl(), "template1")).rejects.toThrow(/template|owner/);
    expect(await exists("template1")).toBe(true);
  });
});
