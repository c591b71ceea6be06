// The agent's voice is encoded at a lower Opus complexity (half the CPU): still the same speech.
import OpusScript from "opusscript";
import { describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { OPUS_COMPLEXITY, WeriftPeer } from "@/lib/voice/werift-peer";

const RATE = 24_000;
const FRAME = 480;

function roundTrip(pcm: Int16Array, complexity: number): Int16Array {
  const enc = new OpusScript(RATE, 1, OpusScript.Application.VOIP);
  const dec = new OpusScript(RATE, 1, OpusScript.Application.VOIP);
  enc.encoderCTL(4010, complexity);
  const out = new Int16Array(pcm.length);
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
    const f = pcm.subarray(i, i + FRAME);
    const d = dec.decode(enc.encode(Buffer.from(f.buffer, f.byteOffset, f.byteLength), FRAME));
    out.set(new Int16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.length)), i);
  }
  enc.delete();
  dec.delete();
  return out;
}

/** Loudness (dB) of each 100 ms window. */
function envelope(pcm: Int16Array): number[] {
  const w = RATE / 10;
  const out: number[] = [];
  for (let i = 0; i + w <= pcm.length; i += w) {
    let e = 0;
    for (let j = i; j < i + w; j++) e += (pcm[j]! / 32_768) ** 2;
    out.push(10 * Math.log10(e / w + 1e-12));
  }
  return out;
}

describe("the agent's Opus encoding", () => {
  it("is set on every peer", () => {
    expect(OPUS_COMPLEXITY).toBeLessThan(10);
    const peer = new WeriftPeer({ host: "127.0.0.1" });
    peer.close();
  });

  it(`keeps the speech's loudness envelope at complexity ${OPUS_COMPLEXITY} as at 10`, async () => {
    const pcm = parseWav(await speak("tell me a long story about the sea", "alloy", 1, RATE))!.samples;
    const best = envelope(roundTrip(pcm, 10));
    const ours = envelope(roundTrip(pcm, OPUS_COMPLEXITY));
    const input = envelope(pcm);
    let compared = 0;
    // The first window holds the encoder's start-up; pauses are left out.
    for (let i = 1; i < input.length; i++) {
      if (input[i]! < -40) continue;
      compared++;
      expect(Math.abs(ours[i]! - input[i]!)).toBeLessThan(4);
      expect(Math.abs(ours[i]! - best[i]!)).toBeLessThan(1);
    }
    expect(compared).toBeGreaterThan(10);
  });
});
