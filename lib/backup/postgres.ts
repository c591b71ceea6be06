// pg_dump and pg_restore for backups. pg_dump refuses a server of a newer major version than its
// own, and a dump is best restored by the same version, so the tools come from the same place as the
// project's own server (scripts/services/postgres.sh: the newest /usr/lib/postgresql/<v>/bin) unless
// backup.pgBinDir says otherwise. The password goes to the child in PGPASSWORD, never on a command
// line (where ps shows it) nor into a message.
import { execFile, type ExecFileException } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { processEnv } from "../config/env";

const run = promisify(execFile);

export interface PgTarget {
  /** host:port/database, for messages; never the password. */
  label: string;
  database: string;
  /** PG* variables for libpq (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE). */
  env: Record<string, string>;
}

export function pgTarget(url: string): PgTarget {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!database) throw new Error(`the database URL ${redactUrl(url)} names no database`);
  const env: Record<string, string> = {
    PGHOST: u.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    PGPORT: u.port || "5432",
    PGDATABASE: database,
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode) env.PGSSLMODE = sslmode;
  return { label: `${env.PGHOST}:${env.PGPORT}/${database}`, database, env };
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unreadable URL)";
  }
}

/** Where pg_dump, pg_restore and psql are: the setting, else the newest Debian server's, else PATH (""). */
export function pgBinDir(setting: string): string {
  if (setting) return setting;
  const base = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "pg_dump")));
  } catch {
    return ""; // no Debian server packages here: PATH
  }
  versions.sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest ? path.join(base, newest, "bin") : "";
}

export class PgTools {
  constructor(private readonly binDir: string) {}

  private bin(name: string): string {
    return this.binDir ? path.join(this.binDir, name) : name;
  }

  /** Runs a tool against a target; the error names the tool and its last lines of stderr. */
  private async exec(name: string, args: string[], target: PgTarget, database = target.database) {
    // The caller's own PG* variables would silently change the target: only ours reach the child.
    const env: Record<string, string | undefined> = {
      ...Object.fromEntries(Object.entries(processEnv()).filter(([k]) => !k.startsWith("PG"))),
      ...target.env,
      PGDATABASE: database,
      PGCONNECT_TIMEOUT: "10",
    };
    try {
      return await run(this.bin(name), args, {
        env: env as unknown as NodeJS.ProcessEnv, // the project's ProcessEnv type insists on NODE_ENV
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as ExecFileException & { stderr?: string };
      const detail = (e.stderr || e.message).trim().split("\n").slice(-4).join(" | ");
      throw new Error(`${name} (${target.label}) failed: ${detail}`, { cause: err });
    }
  }

  async version(name: "pg_dump" | "pg_restore"): Promise<string> {
    const { stdout } = await run(this.bin(name), ["--version"]).catch((err: unknown) => {
      throw new Error(
        `${this.bin(name)} cannot run (${(err as Error).message}); install PostgreSQL's client tools of the server's version or set backup.pgBinDir`,
        { cause: err },
      );
    });
    return stdout.trim();
  }

  /** One value from a query (psql -tA). */
  async query(target: PgTarget, sql: string, database = target.database): Promise<string> {
    const { stdout } = await this.exec(
      "psql",
      ["-X", "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
      target,
      database,
    );
    return stdout.trim();
  }

  async serverVersion(target: PgTarget): Promise<string> {
    return this.query(target, "show server_version");
  }

  /** pg_dump -Fc of the whole database into `file`. */
  async dump(target: PgTarget, file: string): Promise<void> {
    await this.exec("pg_dump", ["-Fc", "--no-password", "-f", file], target);
  }

  async databaseExists(target: PgTarget): Promise<boolean> {
    const name = target.database.replace(/'/g, "''");
    return (
      (await this.query(target, `select 1 from pg_database where datname = '${name}'`, "postgres")) === "1"
    );
  }

  /** Tables in the database's public schema (0 for a database made empty by a new install). */
  async tableCount(target: PgTarget): Promise<number> {
    return Number(await this.query(target, "select count(*) from pg_tables where schemaname = 'public'"));
  }

  async createDatabase(target: PgTarget): Promise<void> {
    await this.query(target, `create database ${quoteIdent(target.database)}`, "postgres");
  }

  /**
   * Replaces the database's contents with the dump: the public schema is dropped and made anew (the
   * owner of the database may do that without CREATEDB, as on managed services), then pg_restore
   * runs in one transaction, so a failure leaves the emptied schema rather than half a database.
   * Objects are owned by the restoring role (--no-owner), whoever owned them before.
   */
  async restore(target: PgTarget, file: string): Promise<void> {
    await this.query(target, "drop schema if exists public cascade; create schema public;");
    await this.exec(
      "pg_restore",
      [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        "-d",
        target.database,
        file,
      ],
      target,
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
