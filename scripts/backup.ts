// `make backup [TO=…]`, `make restore FROM=… [YES=1]`, `make backups`: backups of the app's database,
// OpenFGA's, the bus topics' settings and this host's settings files (lib/backup; docs/operations.md
// "Backups"). One line per step; nothing secret is printed. Exit 0 done, 1 failed, 2 refused before
// anything changed, 64 bad usage.
// Usage: tsx scripts/backup.ts backup [TARGET] | restore FROM [--yes] | list [TARGET]
import os from "node:os";
import path from "node:path";
import readline from "node:readline/promises";
import { loadConfigOrExit } from "../server/config";
import { createBackup, sizeOf } from "../lib/backup/create-backup";
import { restoreBackup, RestoreRefused } from "../lib/backup/restore-backup";
import { openStore } from "../lib/backup/store";
import { backupTime } from "../lib/backup/manifest";
import { writeAudit } from "../lib/audit/log";
import { createDb } from "../lib/server/db";

const root = path.resolve(import.meta.dirname, "..");
const config = loadConfigOrExit("backup");
const say = (line: string) => console.log(line);

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const yes = rest.includes("--yes");
  const positional = rest.filter((a) => !a.startsWith("--"));
  if (command === "backup") {
    const r = await createBackup({ config, root, target: positional[0] || undefined, progress: say });
    say(`✔ backup ${r.id}: ${sizeOf(r.bytes)} in ${r.durationMs} ms at ${r.location}`);
    return 0;
  }
  if (command === "list") {
    const store = openStore(positional[0] || config.settings.backup.target, config.settings.backup, root);
    const all = (await store.list()).sort((a, b) => (a.id < b.id ? -1 : 1));
    say(`${all.length} backups in ${store.location}`);
    for (const b of all)
      say(`${b.id}  ${backupTime(b.id)?.toISOString() ?? "?"}${b.finished ? "" : "  (unfinished)"}`);
    return 0;
  }
  if (command === "restore") {
    const from = positional[0];
    if (!from) {
      console.error(
        "restore needs FROM: a backup id, latest, a backup's directory or s3://bucket/prefix/<id>",
      );
      return 64;
    }
    let replace = yes;
    for (;;) {
      try {
        const r = await restoreBackup({ config, root, from, replace, progress: say });
        await audit(r.id, r.durationMs);
        say(
          `✔ restored ${r.id} in ${r.durationMs} ms. Start (or restart) the gateways, executors and scheduler now.`,
        );
        return 0;
      } catch (err) {
        // Data in the way and a person at the terminal: ask, as make dev-clean does.
        if (err instanceof RestoreRefused && !replace && /--yes/.test(err.message) && process.stdin.isTTY) {
          console.error(err.message);
          const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question("Replace them? [y/N] ");
          rl.close();
          if (!/^y/i.test(answer)) return 2;
          replace = true;
          continue;
        }
        throw err;
      }
    }
  }
  console.error(`unknown command "${command ?? ""}": use backup, restore or list`);
  return 64;
}

/** The restore, in the restored database's audit log, as a system action naming the OS user. */
async function audit(id: string, durationMs: number): Promise<void> {
  const db = createDb(config.settings.database.url, 1);
  try {
    await writeAudit(
      {
        actorType: "system",
        action: "backup.restore",
        resource: "backup",
        outcome: "success",
        details: {
          backup: id,
          durationMs,
          via: "make restore",
          osUser: os.userInfo().username,
          host: os.hostname(),
        },
      },
      db,
    );
  } finally {
    await db.$disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`✘ ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof RestoreRefused ? 2 : 1);
  },
);
