// `npm audit` for what ships: runtime dependencies only (--omit=dev). Fails on a high or critical
// advisory unless conf/npm-audit-allowlist.json lists it with a reason and an expiry date; an expired
// entry fails like a missing one, so an exception is looked at again. Fails too when the audit
// itself cannot run (the registry refuses it, no network): a check that did not run is not a pass.
// SOMA_SKIP_AUDIT="<why>" skips it on purpose (an air-gapped machine), saying so on stderr.
// Usage: tsx scripts/audit.ts [allow-list file]
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";

const FAILING = new Set(["high", "critical"]);

const allowEntry = z
  .object({
    /** The advisory's GHSA id (the last part of its github.com/advisories URL). */
    id: z.string().regex(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/),
    package: z.string().min(1),
    reason: z.string().min(10),
    added: z.iso.date(),
    expires: z.iso.date(),
  })
  .strict();
export const allowListSchema = z.array(allowEntry);
export type AllowEntry = z.infer<typeof allowEntry>;

const advisory = z.object({
  source: z.number(),
  name: z.string(),
  title: z.string(),
  url: z.string(),
  severity: z.string(),
});
/** The parts of `npm audit --json` (auditReportVersion 2) read here. */
const report = z.object({
  auditReportVersion: z.literal(2),
  vulnerabilities: z.record(
    z.string(),
    // `via` holds the advisory itself, or the name of the dependency it comes through.
    z.object({ name: z.string(), via: z.array(z.union([z.string(), advisory])) }),
  ),
});

export interface Finding {
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
}

export interface AuditVerdict {
  failing: Finding[];
  allowed: { finding: Finding; entry: AllowEntry }[];
  expired: { finding: Finding; entry: AllowEntry }[];
  /** Entries that match no current advisory: fixed since, and can go. */
  unused: AllowEntry[];
}

function ghsaId(url: string, source: number): string {
  return /GHSA(-[a-z0-9]{4}){3}/i.exec(url)?.[0] ?? `npm-${source}`;
}

/** Judges an `npm audit --json` report against the allow-list, as of `today` (YYYY-MM-DD). */
export function judgeAudit(raw: unknown, allowList: AllowEntry[], today: string): AuditVerdict {
  const parsed = report.parse(raw);
  const findings = new Map<string, Finding>();
  for (const vuln of Object.values(parsed.vulnerabilities)) {
    for (const via of vuln.via) {
      if (typeof via === "string" || !FAILING.has(via.severity)) continue;
      const id = ghsaId(via.url, via.source);
      findings.set(`${id} ${via.name}`, {
        id,
        package: via.name,
        severity: via.severity,
        title: via.title,
        url: via.url,
      });
    }
  }
  const verdict: AuditVerdict = { failing: [], allowed: [], expired: [], unused: [] };
  const used = new Set<AllowEntry>();
  for (const finding of findings.values()) {
    const entry = allowList.find((e) => e.id === finding.id && e.package === finding.package);
    if (!entry) verdict.failing.push(finding);
    else if (entry.expires < today) verdict.expired.push({ finding, entry });
    else verdict.allowed.push({ finding, entry });
    if (entry) used.add(entry);
  }
  verdict.unused = allowList.filter((e) => !used.has(e));
  return verdict;
}

function npmAudit(): Promise<{ json: unknown; stderr: string }> {
  return new Promise((resolve, reject) => {
    // npm audit exits 1 when it finds anything, so the exit code says nothing; the JSON does.
    execFile(
      "npm",
      ["audit", "--omit=dev", "--json"],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        try {
          resolve({ json: JSON.parse(stdout) as unknown, stderr });
        } catch {
          reject(new Error(`npm audit gave no report: ${err?.message ?? ""}\n${stderr}`));
        }
      },
    );
  });
}

const line = (f: Finding) => `${f.severity} ${f.id} in ${f.package}: ${f.title} (${f.url})`;

async function main(): Promise<number> {
  const skip = process.env.SOMA_SKIP_AUDIT;
  if (skip) {
    console.error(`npm audit SKIPPED (SOMA_SKIP_AUDIT): ${skip}`);
    return 0;
  }
  const file = path.resolve(process.argv[2] ?? "conf/npm-audit-allowlist.json");
  const allowList = allowListSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
  const { json, stderr } = await npmAudit();
  // The registry refused or failed the audit: npm prints the HTTP error as the JSON body.
  const failed = z.object({ message: z.string() }).safeParse(json);
  if (failed.success && !("vulnerabilities" in (json as object))) {
    console.error(`npm audit could not run: ${failed.data.message}\n${stderr.trim()}`);
    console.error('(set SOMA_SKIP_AUDIT="<why>" to skip it knowingly, e.g. on an air-gapped machine)');
    return 2;
  }
  const today = new Date().toISOString().slice(0, 10);
  const v = judgeAudit(json, allowList, today);
  for (const { finding, entry } of v.allowed)
    console.log(`allowed until ${entry.expires}: ${line(finding)} — ${entry.reason}`);
  for (const entry of v.unused)
    console.log(`allow-list entry ${entry.id} (${entry.package}) matches nothing now: remove it`);
  for (const { finding, entry } of v.expired)
    console.error(`allow-list entry expired on ${entry.expires}: ${line(finding)}`);
  for (const finding of v.failing) console.error(line(finding));
  const bad = v.failing.length + v.expired.length;
  if (bad > 0) {
    console.error(`npm audit: ${bad} high or critical advisories in runtime dependencies (see ${file})`);
    return 1;
  }
  console.log(
    `npm audit: no high or critical advisories in runtime dependencies (${v.allowed.length} allowed)`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
