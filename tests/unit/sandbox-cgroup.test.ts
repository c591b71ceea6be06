// Which cgroup layout the sandbox uses, and what it writes, against temporary directories laid out
// like /sys/fs/cgroup (v1, hybrid, v2-only). The v2 path has not run on a real v2 host here: this
// machine's unified hierarchy offers only hugetlb (docs/sandbox.md).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createCallCgroup, detectCgroups } from "@/lib/sandbox/cgroup";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fake cgroupfs: each key a directory holding the given files. */
function layout(tree: Record<string, Record<string, string>>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-cgroupfs-"));
  made.push(root);
  for (const [dir, files] of Object.entries(tree)) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, dir, name), text);
  }
  return root;
}

const read = (...p: string[]) => fs.readFileSync(path.join(...p), "utf8");
const limits = { memoryBytes: 256 * 1024 * 1024, maxProcesses: 32 };

describe("cgroup layout selection", () => {
  it("uses v1 whenever its memory and pids hierarchies are there, even beside a v2 one", () => {
    const root = layout({
      memory: { "cgroup.procs": "" },
      pids: { "cgroup.procs": "" },
      unified: { "cgroup.procs": "", "cgroup.controllers": "memory pids", "cgroup.subtree_control": "" },
    });
    expect(detectCgroups(root)).toEqual({
      version: 1,
      memory: path.join(root, "memory"),
      pids: path.join(root, "pids"),
    });
    // Selection alone touches nothing in v2.
    expect(fs.existsSync(path.join(root, "unified", "somaagent-sandbox"))).toBe(false);
  });

  it("does not fall through to v2 when v1 memory exists but pids does not", () => {
    const root = layout({
      memory: { "cgroup.procs": "" },
      unified: { "cgroup.procs": "", "cgroup.controllers": "memory pids" },
    });
    expect(detectCgroups(root)).toMatchObject({ version: 0 });
  });

  it("uses v2 on a v2-only host, delegating memory and pids to its own subtree", () => {
    const root = layout({
      "": {
        "cgroup.procs": "",
        "cgroup.controllers": "cpuset cpu io memory hugetlb pids",
        "cgroup.subtree_control": "cpu",
      },
    });
    const parent = path.join(root, "somaagent-sandbox");
    expect(detectCgroups(root)).toEqual({ version: 2, parent });
    expect(read(root, "cgroup.subtree_control")).toBe("+memory +pids");
    expect(read(parent, "cgroup.subtree_control")).toBe("+memory +pids");
  });

  it("uses the unified hierarchy of a hybrid host when v1 memory is absent", () => {
    const root = layout({
      unified: {
        "cgroup.procs": "",
        "cgroup.controllers": "memory pids",
        "cgroup.subtree_control": "memory pids",
      },
    });
    expect(detectCgroups(root)).toEqual({
      version: 2,
      parent: path.join(root, "unified", "somaagent-sandbox"),
    });
    // Already enabled: left as it was.
    expect(read(root, "unified", "cgroup.subtree_control")).toBe("memory pids");
  });

  it("has no cgroup where v2 lacks the controllers (this machine's unified: hugetlb only)", () => {
    const root = layout({ unified: { "cgroup.procs": "", "cgroup.controllers": "hugetlb" } });
    const found = detectCgroups(root);
    expect(found).toMatchObject({ version: 0 });
    expect(found.version === 0 && found.reason).toMatch(/offers only \[hugetlb\]/);
    expect(createCallCgroup("call-1", limits, found)).toBeUndefined();
  });

  it("has no cgroup with no hierarchy at all", () => {
    expect(detectCgroups(layout({ "": {} }))).toMatchObject({ version: 0 });
  });
});

describe("a call's cgroup", () => {
  it("v2: a child of the subtree with memory.max, no swap and pids.max; the launcher joins it", () => {
    const root = layout({ "": { "cgroup.procs": "", "cgroup.controllers": "memory pids" } });
    const found = detectCgroups(root);
    const cg = createCallCgroup("call-1", limits, found)!;
    const dir = path.join(root, "somaagent-sandbox", "call-1");
    expect(read(dir, "memory.max")).toBe(String(limits.memoryBytes));
    expect(read(dir, "memory.swap.max")).toBe("0");
    expect(read(dir, "pids.max")).toBe("32");
    expect(cg.procsFiles).toEqual([path.join(dir, "cgroup.procs")]);

    expect(cg.oomKilled()).toBe(false);
    fs.writeFileSync(path.join(dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect(cg.oomKilled()).toBe(true);

    // The kernel's cgroup directories hold only virtual files, so rmdir removes them; here the fake
    // files keep it, so empty it as the kernel would and check the call's directory goes.
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    cg.remove();
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("v1: one child in each hierarchy, as before", () => {
    const root = layout({ memory: { "cgroup.procs": "" }, pids: { "cgroup.procs": "" } });
    const cg = createCallCgroup("call-2", limits, detectCgroups(root))!;
    const mem = path.join(root, "memory", "somaagent-sandbox", "call-2");
    const pids = path.join(root, "pids", "somaagent-sandbox", "call-2");
    expect(read(mem, "memory.limit_in_bytes")).toBe(String(limits.memoryBytes));
    expect(read(pids, "pids.max")).toBe("32");
    expect(cg.procsFiles).toEqual([path.join(mem, "cgroup.procs"), path.join(pids, "cgroup.procs")]);
    fs.writeFileSync(path.join(mem, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    expect(cg.oomKilled()).toBe(true);
  });

  it("v2: no cgroup (rlimits only) when the subtree refuses the call's directory", () => {
    const root = layout({ "": { "cgroup.procs": "", "cgroup.controllers": "memory pids" } });
    const found = detectCgroups(root);
    fs.rmSync(path.join(root, "somaagent-sandbox"), { recursive: true }); // gone under our feet
    expect(createCallCgroup("call-3", limits, found)).toBeUndefined();
  });
});
