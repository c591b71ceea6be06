// Small audio helpers: a WAV tone (the test provider's text-to-speech, the connection test's probe),
// a stable pitch per voice name, and reading one field of a multipart upload.

/** A mono 16-bit PCM WAV of `seconds` of a sine tone (or silence when hz is 0). */
export function wavTone(seconds: number, hz: number, sampleRate = 24_000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const fade = Math.min(1, i / 480, (samples - i) / 480);
    const v = hz ? Math.sin((2 * Math.PI * hz * i) / sampleRate) * 0.3 * fade : 0;
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export function voicePitch(voice: string): number {
  let h = 0;
  for (const c of voice) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return 220 + (h % 440);
}

/** The `model` field of a multipart/form-data upload. */
export function multipartField(raw: Buffer, name: string): string | undefined {
  const text = raw.toString("latin1");
  // The part's remaining header lines (never empty), the blank line, then the value.
  const m = new RegExp(`name="${name}"[^\\r\\n]*\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n([^\\r\\n]*)`).exec(text);
  return m?.[1];
}
