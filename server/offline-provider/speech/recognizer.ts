// The offline provider's ears: resident pocketsphinx workers (scripts/speech/recognize.py, in the
// venv `scripts/services/speech.sh` installs) that decode 16 kHz speech against the phrases of
// e2e/fixtures/voice/phrases.txt exactly, and, for the offline demo model, anything else roughly.
//
// A worker decodes one utterance at a time (10–65 ms each). Requests wait in one queue, taken by
// whichever worker is free; when one has to wait, another worker is started, up to `size` (one per
// core, at most 4: SOMA_SPEECH_RECOGNIZERS), so calls that end their sentences together are not
// answered one after another. A worker stays resident once started (about 30 MB each). A request
// given up while it waits (a speculative transcription dropped because the person spoke on) leaves
// the queue at once, so the workers decode only what someone still waits for.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { processEnv } from "../../../lib/config/env";
import { SpeechUnavailable } from "./espeak";

const ROOT = path.resolve(import.meta.dirname, "../../..");
export const PHRASES_FILE = path.join(ROOT, "e2e/fixtures/voice/phrases.txt");

/** The venv's python: SOMA_SPEECH_PYTHON, else the tool cache's (as scripts/services/speech.sh makes it). */
export function speechPython(): string {
  const env = processEnv();
  if (env.SOMA_SPEECH_PYTHON) return env.SOMA_SPEECH_PYTHON;
  const cache = env.SOMA_CACHE_DIR ?? path.join(os.homedir(), ".cache", "somaagent");
  return path.join(cache, "speech-venv", "bin", "python");
}

/** Workers at most: SOMA_SPEECH_RECOGNIZERS, else one per core up to 4. */
export function recognizerPoolSize(): number {
  const set = processEnv().SOMA_SPEECH_RECOGNIZERS;
  if (set !== undefined) {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 1 || n > 16)
      throw new Error(`SOMA_SPEECH_RECOGNIZERS must be a whole number from 1 to 16, not "${set}"`);
    return n;
  }
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

interface Job {
  pcm: string;
  open: boolean;
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  /** The job it is decoding, if any. */
  job: Job | undefined;
  ready: boolean;
}

export class Recognizer {
  private readonly workers = new Set<Worker>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private readonly python = speechPython(),
    private readonly phrases = PHRASES_FILE,
    private readonly size = recognizerPoolSize(),
  ) {}

  /**
   * The words in 16 kHz mono PCM; "" when nothing is recognised. `open`: also outside the phrases.
   * `signal`: aborted while still queued, the job is dropped and the promise rejects with its reason
   * (a job a worker has begun is finished: 10–65 ms).
   */
  transcribe(pcm16k: Int16Array, open: boolean, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (!fs.existsSync(this.python))
      return Promise.reject(
        new SpeechUnavailable(
          `offline speech recognition is not installed (${this.python} is missing; make dev-up installs it)`,
        ),
      );
    const pcm = Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength).toString("base64");
    return new Promise((resolve, reject) => {
      const job: Job = { pcm, open, resolve, reject };
      this.queue.push(job);
      signal?.addEventListener(
        "abort",
        () => {
          const at = this.queue.indexOf(job);
          if (at < 0) return; // a worker has it
          this.queue.splice(at, 1);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      this.dispatch();
      // Still waiting: every worker is busy or starting; one more helps if the pool may grow.
      const starting = [...this.workers].filter((w) => !w.ready).length;
      if (this.queue.length > starting && this.workers.size < this.size) this.spawnWorker();
    });
  }

  /** Workers running now (started on demand, up to the pool's size). */
  get running(): number {
    return this.workers.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) w.child.kill();
    this.workers.clear();
    const why = new Error("the speech recogniser was closed");
    for (const job of this.queue.splice(0)) job.reject(why);
  }

  /** Hands queued jobs to free workers. */
  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (!w.ready || w.job) continue;
      const job = this.queue.shift()!;
      w.job = job;
      w.child.stdin.write(`${JSON.stringify({ id: 1, pcm: job.pcm, open: job.open })}\n`);
    }
  }

  private spawnWorker(): void {
    if (this.closed) return;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "soma-recognizer-"));
    const child = spawn(this.python, [path.join(ROOT, "scripts/speech/recognize.py"), this.phrases, work], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const worker: Worker = { child, job: undefined, ready: false };
    this.workers.add(worker);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin.on("error", () => undefined); // a worker that died mid-write is reported by "exit"
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; id?: number; text?: string; error?: string };
      if (msg.ready) worker.ready = true;
      else {
        const job = worker.job;
        worker.job = undefined;
        if (msg.error !== undefined) job?.reject(new Error(`speech recognition failed: ${msg.error}`));
        else job?.resolve(msg.text ?? "");
      }
      this.dispatch();
    });
    child.once("error", () => undefined); // spawn failures end in "exit" too
    child.once("exit", (code, signal) => {
      this.workers.delete(worker);
      fs.rmSync(work, { recursive: true, force: true });
      if (this.closed) return;
      const why = new Error(`the speech recogniser stopped (${signal ?? `exit ${code}`}): ${stderr.trim()}`);
      worker.job?.reject(why);
      // A worker that never came up fails what waits for it, rather than starting another forever.
      if (!worker.ready && this.workers.size === 0) for (const job of this.queue.splice(0)) job.reject(why);
      else if (this.queue.length > 0 && this.workers.size === 0) this.spawnWorker();
    });
  }
}
