// scripts/audit.ts: which advisories in `npm audit --json` fail the unit tier, and what the
// allow-list may excuse (a named advisory in a named package, with a reason, until a date).
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { allowListSchema, judgeAudit, type AllowEntry } from "@/scripts/audit";

const advisory = (source: number, name: string, severity: string, ghsa: string) => ({
  source,
  name,
  dependency: name,
  title: `${severity} problem in ${name}`,
  url: `https://github.com/advisories/${ghsa}`,
  severity,
  cwe: [],
  cvss: { score: 7.5, vectorString: null },
  range: "<9.9.9",
});

/** The shape npm 11 prints: each advisory under its package, and again by name under its dependents. */
const report = {
  auditReportVersion: 2,
  vulnerabilities: {
    "deep-lib": {
      name: "deep-lib",
      severity: "high",
      isDirect: false,
      via: [advisory(1001, "deep-lib", "high", "GHSA-2222-3333-4444")],
      effects: ["top-lib"],
      range: "<9.9.9",
      nodes: ["node_modules/deep-lib"],
      fixAvailable: false,
    },
    "top-lib": {
      name: "top-lib",
      severity: "critical",
      isDirect: true,
      via: ["deep-lib", advisory(1002, "top-lib", "critical", "GHSA-5555-6666-7777")],
      effects: [],
      range: "*",
      nodes: ["node_modules/top-lib"],
      fixAvailable: true,
    },
    "meh-lib": {
      name: "meh-lib",
      severity: "moderate",
      isDirect: true,
      via: [advisory(1003, "meh-lib", "moderate", "GHSA-8888-9999-cccc")],
      effects: [],
      range: "*",
      nodes: ["node_modules/meh-lib"],
      fixAvailable: true,
    },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 1, critical: 1, total: 3 } },
};

const entry = (over: Partial<AllowEntry> = {}): AllowEntry => ({
  id: "GHSA-2222-3333-4444",
  package: "deep-lib",
  reason: "only reachable through a code path we never call (the CLI), no fixed release yet",
  added: "2026-12-01",
  expires: "2027-01-31",
  ...over,
});

describe("npm audit verdict", () => {
  it("fails on every high and critical advisory, once each, and not on moderate ones", () => {
    const v = judgeAudit(report, [], "2026-12-02");
    expect(v.failing.map((f) => `${f.severity} ${f.id} ${f.package}`).sort()).toEqual([
      "critical GHSA-5555-6666-7777 top-lib",
      "high GHSA-2222-3333-4444 deep-lib",
    ]);
  });

  it("excuses an advisory the allow-list names, until the entry expires", () => {
    const v = judgeAudit(report, [entry()], "2026-12-02");
    expect(v.allowed.map((a) => a.finding.id)).toEqual(["GHSA-2222-3333-4444"]);
    expect(v.failing.map((f) => f.id)).toEqual(["GHSA-5555-6666-7777"]);

    const later = judgeAudit(report, [entry()], "2027-02-01");
    expect(later.allowed).toEqual([]);
    expect(later.expired.map((a) => a.finding.id)).toEqual(["GHSA-2222-3333-4444"]);
  });

  it("does not excuse the same advisory in another package, and reports entries that match nothing", () => {
    const v = judgeAudit(report, [entry({ package: "top-lib" })], "2026-12-02");
    expect(v.failing.map((f) => f.id).sort()).toEqual(["GHSA-2222-3333-4444", "GHSA-5555-6666-7777"]);
    expect(v.unused).toHaveLength(1);
  });

  it("passes a clean report", () => {
    const clean = { auditReportVersion: 2, vulnerabilities: {} };
    expect(judgeAudit(clean, [], "2026-12-02").failing).toEqual([]);
  });

  it("refuses what is not an audit report (the registry's error body), rather than passing it", () => {
    expect(() => judgeAudit({ message: "405 Method Not Allowed" }, [], "2026-12-02")).toThrow();
  });

  it("refuses allow-list entries without a reason, dates or a real advisory id", () => {
    expect(allowListSchema.safeParse([entry()]).success).toBe(true);
    expect(allowListSchema.safeParse([entry({ reason: "" })]).success).toBe(false);
    expect(allowListSchema.safeParse([entry({ expires: "someday" })]).success).toBe(false);
    expect(allowListSchema.safeParse([entry({ id: "deep-lib" })]).success).toBe(false);
    const { expires: _, ...noExpiry } = entry();
    expect(allowListSchema.safeParse([noExpiry]).success).toBe(false);
  });
});

describe("the allow-list in the repository", () => {
  it("is valid", () => {
    const list: unknown = JSON.parse(fs.readFileSync("conf/npm-audit-allowlist.json", "utf8"));
    expect(allowListSchema.safeParse(list).success).toBe(true);
  });
});
