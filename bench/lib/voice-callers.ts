// The bench's side of voice-caller.ts: a child process holding some voice-call clients, asked to run
// turns and answering with what it measured (advanced serialization: PCM goes as Int16Array).
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { LoopDelay } from "./loop-delay";

/** A phrase as 24 kHz PCM, with where its speech starts and how much silence trails it (ms). */
export interface Phrase {
  pcm: Int16Array;
  onsetMs: number;
  trailMs: number;
}

export type CallerRequest =
  | { cmd: "init"; base: string; questions: Phrase[]; story: Phrase; stop: Phrase }
  | { cmd: "start"; token: string; sessionId: string }
  | { cmd: "turns"; call: number; count: number }
  | { cmd: "bargeIns"; call: number; count: number }
  | { cmd: "talk"; call: number; delayMs: number; questions: number; pauseMs: [number, number] }
  | { cmd: "askEndingAt"; call: number; endAt: number }
  | { cmd: "loop" }
  | { cmd: "close" };

export type CallerReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export class CallerProcess {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor() {
    this.child = fork(path.join(import.meta.dirname, "voice-caller.ts"), [], {
      execArgv: ["--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.ready = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    this.child.on("message", (m: CallerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`caller process: ${m.error}`));
    });
    this.child.once("exit", (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`caller process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  request<T>(req: CallerRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, req });
    });
  }

  loop(): Promise<LoopDelay> {
    return this.request<LoopDelay>({ cmd: "loop" });
  }

  async close(): Promise<void> {
    await this.request({ cmd: "close" }).catch(() => undefined);
    this.child.kill("SIGTERM");
  }
}
