// Small audio helpers: WAV files (a tone for probes, reading and writing 16-bit PCM), resampling, a
// stable pitch per voice name, and reading the fields of a multipart upload.

/** A mono 16-bit PCM WAV of `seconds` of a sine tone (or silence when hz is 0). */
export function wavTone(seconds: number, hz: number, sampleRate = 24_000): Buffer {
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) {
    const fade = Math.min(1, i / 480, (samples.length - i) / 480);
    const v = hz ? Math.sin((2 * Math.PI * hz * i) / sampleRate) * 0.3 * fade : 0;
    samples[i] = Math.round(v * 32767);
  }
  return wavFromSamples(samples, sampleRate);
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

/** The bytes of a file part of a multipart/form-data upload (e.g. the audio of a transcription). */
export function multipartFile(raw: Buffer, name: string): Buffer | undefined {
  const text = raw.toString("latin1"); // one char per byte, so indexes are byte offsets
  const header = new RegExp(`name="${name}"[^\\r\\n]*\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n`).exec(text);
  if (!header) return undefined;
  const start = header.index + header[0].length;
  const boundary = text.slice(0, text.indexOf("\r\n")); // the body starts with "--<boundary>"
  const end = text.indexOf(`\r\n${boundary}`, start);
  return raw.subarray(start, end >= 0 ? end : raw.length);
}

/** Mono 16-bit samples of a PCM WAV file (channels averaged), or undefined when it is not one. */
export function parseWav(buf: Buffer): { sampleRate: number; samples: Int16Array } | undefined {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE")
    return undefined;
  let format: { channels: number; sampleRate: number; bits: number; tag: number } | undefined;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString("ascii", at, at + 4);
    // espeak-ng writes 0x7fffffff as the data size when it streams: take what is there.
    const size = Math.min(buf.readUInt32LE(at + 4), buf.length - at - 8);
    if (id === "fmt ")
      format = {
        tag: buf.readUInt16LE(at + 8),
        channels: buf.readUInt16LE(at + 10),
        sampleRate: buf.readUInt32LE(at + 12),
        bits: buf.readUInt16LE(at + 22),
      };
    if (id === "data") {
      if (!format || format.tag !== 1 || format.bits !== 16) return undefined;
      const frames = Math.floor(size / (2 * format.channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < format.channels; c++)
          sum += buf.readInt16LE(at + 8 + (i * format.channels + c) * 2);
        samples[i] = Math.round(sum / format.channels);
      }
      return { sampleRate: format.sampleRate, samples };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/** Linear-interpolation resampling: enough for speech recognition and the offline voice. */
export function resample(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return samples;
  const out = new Int16Array(Math.floor((samples.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const pos = (i * from) / to;
    const k = Math.floor(pos);
    const a = samples[k] ?? 0;
    const b = samples[k + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (pos - k));
  }
  return out;
}

/** A mono 16-bit PCM WAV of the given samples. */
export function wavFromSamples(samples: Int16Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  const bytes = samples.length * 2;
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, bytes)]);
}
