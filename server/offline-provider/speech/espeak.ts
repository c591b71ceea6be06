// The offline provider's voice: Debian's espeak-ng (20–30 ms a sentence, deterministic). Each
// voice name gets its own pitch, so "alloy" and "nova" sound different; speed follows the request.
import { spawn } from "node:child_process";
import { parseWav, resample, voicePitch, wavFromSamples } from "../../../lib/audio/wav";

export class SpeechUnavailable extends Error {}

/** Words per minute espeak-ng speaks at speed 1 (OpenAI's speed scales it, 0.25–4). */
const WPM = 170;

/** A mono 16-bit WAV at `sampleRate` (24 kHz, like OpenAI's speech) of `text` spoken. */
export function speak(text: string, voice: string, speed = 1, sampleRate = 24_000): Promise<Buffer> {
  const wpm = Math.round(Math.min(450, Math.max(80, WPM * speed)));
  const pitch = Math.round(((voicePitch(voice) - 220) / 440) * 80 + 10); // 10..90 of espeak's 0..99
  return new Promise((resolve, reject) => {
    const child = spawn(
      "espeak-ng",
      ["--stdout", "--stdin", "-v", "en-us", "-s", String(wpm), "-p", String(pitch)],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? new SpeechUnavailable(
              "espeak-ng is not installed (make dev-up installs it: apt-get install espeak-ng)",
            )
          : e,
      ),
    );
    child.once("close", (code) => {
      const wav = parseWav(Buffer.concat(out));
      if (code !== 0 || !wav) return reject(new Error(`espeak-ng failed (exit ${code}): ${err.trim()}`));
      resolve(wavFromSamples(resample(wav.samples, wav.sampleRate, sampleRate), sampleRate));
    });
    child.stdin.end(text);
  });
}
