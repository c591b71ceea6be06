// Cost of the workspace quota (docs/sandbox.md, "Workspace quota"), with plain directories as the
// baseline in the same run: preparing a session's workspace on its first call and on a warm call,
// and a sandboxed call (`true`, and writing 1 MB) in a plain directory vs a mounted image.
// Needs root and loop devices, no services. Every image and mount it makes is removed at the end.
// Run: npx tsx bench/workspace-quota.ts [sessions=20]
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runSandboxed, type SandboxLimits } from "../lib/sandbox/run";
import { mountWorkspace, removeWorkspace } from "../lib/sandbox/workspace-quota";

const sessions = Number(process.argv[2] ?? 20);
const UID = 60_990; // a sandbox uid no session of a default setup reaches (slots are sequential)
const root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-bench-quota-"));
fs.chmodSync(root, 0o711);

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${ms.toFixed(ms < 1 ? 3 : 1)} ms`;

async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function plainDir(id: string): string {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (fs.statSync(dir).uid !== UID) fs.chownSync(dir, UID, UID);
  return dir;
}

const limits: SandboxLimits = {
  timeoutMs: 10_000,
  memoryBytes: 256 * 1024 * 1024,
  cpuSeconds: 10,
  maxProcesses: 32,
  outputBytes: 65_536,
  tmpBytes: 64 * 1024 * 1024,
  uid: UID,
};
const sandboxed = (workspace: string, code: string) =>
  runSandboxed({ command: ["/bin/bash", "-c", code], workspace, limits, limitAddressSpace: true });

const plainIds = Array.from({ length: sessions }, () => randomUUID());
const imageIds = Array.from({ length: sessions }, () => randomUUID());
try {
  const first = { plain: [] as number[], image: [] as number[] };
  for (let i = 0; i < sessions; i++) {
    first.plain.push(await time(() => plainDir(plainIds[i]!)));
    first.image.push(
      await time(() => mountWorkspace({ root, sessionId: imageIds[i]!, uid: UID, maxMb: 512 })),
    );
  }
  const warm = { plain: [] as number[], image: [] as number[] };
  for (let i = 0; i < 1000; i++) {
    warm.plain.push(await time(() => plainDir(plainIds[0]!)));
    warm.image.push(
      await time(() => mountWorkspace({ root, sessionId: imageIds[0]!, uid: UID, maxMb: 512 })),
    );
  }
  const calls = { plain: [] as number[], image: [] as number[] };
  const writes = { plain: [] as number[], image: [] as number[] };
  for (let i = 0; i < sessions; i++) {
    calls.plain.push((await sandboxed(path.join(root, plainIds[i]!), "true")).durationMs);
    calls.image.push((await sandboxed(path.join(root, imageIds[i]!), "true")).durationMs);
    const write = "dd if=/dev/zero of=f bs=1M count=1 status=none && sync f";
    writes.plain.push((await sandboxed(path.join(root, plainIds[i]!), write)).durationMs);
    writes.image.push((await sandboxed(path.join(root, imageIds[i]!), write)).durationMs);
  }
  const blocks = fs.statSync(path.join(root, ".images", `${imageIds[0]}.ext4`)).blocks;
  console.log(`p50 over ${sessions} sessions (warm prepare: 1000 calls)   plain dir   quota image`);
  for (const [name, m] of Object.entries({
    "prepare, first call of a session": first,
    "prepare, warm call": warm,
    "sandboxed `true`": calls,
    "sandboxed 1 MB write + sync": writes,
  }))
    console.log(`${name.padEnd(40)} ${fmt(p50(m.plain)).padStart(11)} ${fmt(p50(m.image)).padStart(13)}`);
  console.log(`host disk used by a 512 MiB image holding 1 MB: ${((blocks * 512) / 2 ** 20).toFixed(1)} MiB`);
} finally {
  for (const id of imageIds) await removeWorkspace(root, id);
  fs.rmSync(root, { recursive: true, force: true });
}
