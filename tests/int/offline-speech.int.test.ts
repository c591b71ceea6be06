// The offline provider speaks (espeak-ng) and recognises speech (pocketsphinx), through the real
// `openai` client: what it says it can hear again, exactly for the known phrases; what it does not
// know (other speech, a tone, silence) is heard as nothing by the test models.
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWav, resample, wavTone } from "@/lib/audio/wav";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { speak } from "@/server/offline-provider/speech/espeak";
import { Recognizer } from "@/server/offline-provider/speech/recognizer";

let stub: StubServer;
let client: OpenAI;

beforeAll(async () => {
  stub = await startStubProvider();
  client = new OpenAI({ apiKey: "none", baseURL: stub.url, maxRetries: 0 });
});
afterAll(async () => {
  await stub?.close();
});

async function say(input: string, voice = "alloy", model = "stub-tts"): Promise<Buffer> {
  const res = await client.audio.speech.create({ model, voice, input, response_format: "wav" });
  return Buffer.from(await res.arrayBuffer());
}
async function hear(wav: Buffer, model = "stub-stt"): Promise<string> {
  const r = await client.audio.transcriptions.create({
    model,
    file: await toFile(wav, "speech.wav", { type: "audio/wav" }),
  });
  return r.text;
}

/** A phrase as espeak-ng says it, as 16 kHz samples (what the recogniser takes). */
async function spoken16k(phrase: string): Promise<Int16Array> {
  const wav = parseWav(await speak(phrase, "alloy"))!;
  return resample(wav.samples, wav.sampleRate, 16_000);
}

describe("offline speech", () => {
  it("speaks words as 24 kHz speech, in a different pitch per voice", async () => {
    const alloy = await say("what is six times seven");
    const wav = parseWav(alloy)!;
    expect(wav.sampleRate).toBe(24_000);
    expect(wav.samples.length / wav.sampleRate).toBeGreaterThan(0.8); // a second or so of speech
    expect(Math.max(...wav.samples.map(Math.abs))).toBeGreaterThan(3000); // not silence
    expect((await say("what is six times seven", "nova")).equals(alloy)).toBe(false);
  });

  it("hears the known phrases it speaks, exactly", async () => {
    for (const phrase of ["what is six times seven", "please run the calculator tool"])
      expect(await hear(await say(phrase))).toBe(phrase);
    expect(await hear(await say("tell me a long story about the sea", "onyx"), "offline-stt")).toBe(
      "tell me a long story about the sea",
    );
  });

  it("hears nothing in other speech, a tone or silence (test models)", async () => {
    expect(await hear(await say("open the pod bay doors"))).toBe("");
    expect(await hear(wavTone(1.5, 440, 16_000))).toBe("");
    expect(await hear(wavTone(1, 0, 16_000))).toBe("");
  });

  it("hears utterances that arrive together on more workers, each its own words", async () => {
    const recognizer = new Recognizer(undefined, undefined, 2);
    try {
      const phrases = ["what is six times seven", "hello how are you today", "stop talking please"];
      const audio = await Promise.all(phrases.map(spoken16k));
      const heard = await Promise.all([...audio, ...audio].map((pcm) => recognizer.transcribe(pcm, false)));
      expect(heard).toEqual([...phrases, ...phrases]);
      expect(recognizer.running).toBe(2); // a second worker started for the waiting ones, no more
    } finally {
      recognizer.close();
    }
  });

  it("drops a queued utterance whose caller gave up; the others are still heard", async () => {
    const recognizer = new Recognizer(undefined, undefined, 1);
    try {
      const phrases = ["what is six times seven", "hello how are you today", "stop talking please"];
      const audio = await Promise.all(phrases.map(spoken16k));
      const dropped = new AbortController();
      const first = recognizer.transcribe(audio[0]!, false);
      const second = recognizer.transcribe(audio[1]!, false, dropped.signal).then(
        (text) => `heard: ${text}`,
        (err: Error) => `dropped: ${err.message}`,
      );
      const third = recognizer.transcribe(audio[2]!, false);
      dropped.abort(new Error("spoke on"));
      expect(await Promise.all([first, second, third])).toEqual([
        phrases[0],
        "dropped: spoke on",
        phrases[2],
      ]);
    } finally {
      recognizer.close();
    }
  });

  it("refuses audio it cannot read with a 400 naming the format", async () => {
    const err = await client.audio.transcriptions
      .create({ model: "stub-stt", file: await toFile(Buffer.from("not audio"), "x.mp3") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("16-bit PCM WAV");
  });
});
