// The executor runs every tool in a child process (workers/tool-executor/tool-host.ts), never in
// itself: a tool that crashes or wedges the host is killed with it, and the host is started again.
// Code tools additionally run in the bubblewrap sandbox, spawned by the host.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { HostCancel, HostReply, HostRequest } from "./tool-host-protocol";
import type { ToolOutcome } from "../tools/types";

const ENTRY = path.resolve(import.meta.dirname, "../../workers/tool-executor/tool-host.ts");

export class ToolHost {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private pending = new Map<number, { resolve: (o: ToolOutcome) => void; timer: NodeJS.Timeout }>();
  /** Host request ids by tool-call id, for cancellation. */
  private byCall = new Map<string, number>();
  /**
   * Cancels that came before their call reached the host (it was claimed, then still being prepared):
   * the call is then not started at all. Kept a minute; cancels for other executors' calls land here too.
   */
  private cancelledEarly = new Map<string, number>();
  private static readonly EARLY_CANCEL_MS = 60_000;

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = fork(ENTRY, [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (msg: HostReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(msg.id);
      p.resolve(msg.outcome);
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({
          status: "failed",
          error: `the tool host stopped (${signal ?? `exit ${code}`}) while the tool ran`,
        });
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  /**
   * Starts the host now (the executor does at start) rather than with the first call, which would
   * otherwise wait for a Node process and its modules to load.
   */
  start(): void {
    this.ensure();
  }

  /** Runs a tool in the host; a host that does not answer in time is killed and restarted. */
  run(req: Omit<HostRequest, "id">, deadlineMs: number): Promise<ToolOutcome> {
    const callId = req.ctx.toolCallId;
    if (this.cancelledEarly.delete(callId))
      return Promise.resolve({
        status: "killed",
        error: "cancelled: the turn was stopped before the tool started",
      });
    const child = this.ensure();
    const id = this.nextId++;
    this.byCall.set(callId, id);
    return new Promise<ToolOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          status: "timeout",
          error: `no answer within ${deadlineMs} ms; the tool host was restarted`,
        });
        child.kill("SIGKILL");
      }, deadlineMs);
      this.pending.set(id, { resolve, timer });
      child.send({ ...req, id } satisfies HostRequest);
    }).finally(() => {
      if (this.byCall.get(callId) === id) this.byCall.delete(callId);
    });
  }

  /** Stops a tool call running in the host; false when this host does not run it (yet). */
  cancel(toolCallId: string): boolean {
    const id = this.byCall.get(toolCallId);
    if (id === undefined || !this.child) {
      const now = Date.now();
      for (const [call, at] of this.cancelledEarly)
        if (now - at > ToolHost.EARLY_CANCEL_MS) this.cancelledEarly.delete(call);
      this.cancelledEarly.set(toolCallId, now);
      return false;
    }
    this.child.send({ cancel: id } satisfies HostCancel);
    return true;
  }

  close(): void {
    this.child?.kill("SIGTERM");
  }
}
