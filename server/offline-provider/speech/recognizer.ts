// The offline provider's ears: one resident pocketsphinx worker (scripts/speech/recognize.py, in the
// venv `scripts/services/speech.sh` installs) that decodes 16 kHz speech against the phrases of
// e2e/fixtures/voice/phrases.txt exactly, and, for the offline demo model, anything else roughly.
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

interface Pending {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

export class Recognizer {
  private worker: Promise<ChildProcessWithoutNullStreams> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly python = speechPython(),
    private readonly phrases = PHRASES_FILE,
  ) {}

  /** The words in 16 kHz mono PCM; "" when nothing is recognised. `open`: also outside the phrases. */
  async transcribe(pcm16k: Int16Array, open: boolean): Promise<string> {
    const worker = await this.start();
    const id = this.nextId++;
    const pcm = Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength).toString("base64");
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.stdin.write(`${JSON.stringify({ id, pcm, open })}\n`);
    });
  }

  close(): void {
    void this.worker?.then((w) => w.kill()).catch(() => undefined); // a worker that never started has nothing to stop
    this.worker = undefined;
  }

  private start(): Promise<ChildProcessWithoutNullStreams> {
    if (this.worker) return this.worker;
    if (!fs.existsSync(this.python))
      return Promise.reject(
        new SpeechUnavailable(
          `offline speech recognition is not installed (${this.python} is missing; make dev-up installs it)`,
        ),
      );
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "soma-recognizer-"));
    const child = spawn(this.python, [path.join(ROOT, "scripts/speech/recognize.py"), this.phrases, work], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.worker = new Promise((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        const msg = JSON.parse(line) as { ready?: boolean; id?: number; text?: string; error?: string };
        if (msg.ready) return resolve(child);
        const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id!);
        if (msg.error !== undefined) p.reject(new Error(`speech recognition failed: ${msg.error}`));
        else p.resolve(msg.text ?? "");
      });
      child.once("exit", (code, signal) => {
        const why = new Error(
          `the speech recogniser stopped (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
        );
        reject(why);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        this.worker = undefined;
        fs.rmSync(work, { recursive: true, force: true });
      });
    });
    return this.worker;
  }
}
