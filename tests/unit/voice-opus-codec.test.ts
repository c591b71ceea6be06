// The media peers' Opus (lib/voice/opus-codec.ts): the same packets and samples as opusscript, and
// as many codecs in one process as calls need. opusscript's own wrapper stopped at the 41st
// encoder + decoder pair (`RangeError: offset is out of bounds` in `new WeriftPeer`).
import OpusScript from "opusscript";
import { describe, expect, it } from "vitest";
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from "werift";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { OpusDecoder, OpusEncoder, OpusError, opusHeap, type OpusRate } from "@/lib/voice/opus-codec";
import { OPUS_COMPLEXITY, WeriftPeer } from "@/lib/voice/werift-peer";
import { newPeer, offerSdp } from "../helpers/realtime-client";

const RATE = 24_000;
const FRAME = 480; // 20 ms at 24 kHz

const speech = async (text: string) => parseWav(await speak(text, "alloy", 1, RATE))!.samples;
const frames = (pcm: Int16Array) => {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) out.push(pcm.slice(i, i + FRAME));
  return out;
};
const hex = (packets: Buffer[]) => packets.map((p) => p.toString("hex"));

/** A codec pair as a peer holds one: speech encoded at 24 kHz, and those packets decoded at 16 kHz. */
function pairRoundTrip(enc: OpusEncoder, dec: OpusDecoder, pcm: Int16Array[]) {
  const packets = pcm.map((f) => enc.encode(f));
  const decoded = packets.map((p) => Array.from(dec.decode(p)));
  return { packets: hex(packets), decoded };
}

describe("Opus codecs (opus-codec.ts)", () => {
  it("encode and decode exactly as opusscript does", async () => {
    const pcm = frames(await speech("the quick brown fox"));
    const ref = { enc: new OpusScript(RATE, 1, OpusScript.Application.VOIP), dec: new OpusScript(16_000, 1) };
    ref.enc.encoderCTL(4010, OPUS_COMPLEXITY);
    const enc = new OpusEncoder(RATE, { complexity: OPUS_COMPLEXITY });
    const dec = new OpusDecoder(16_000);
    for (const f of pcm) {
      const theirs = ref.enc.encode(Buffer.from(f.buffer, f.byteOffset, f.byteLength), FRAME);
      const ours = enc.encode(f);
      expect(ours.toString("hex")).toBe(theirs.toString("hex"));
      const d = ref.dec.decode(theirs);
      expect(Array.from(dec.decode(ours))).toEqual(
        Array.from(new Int16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.length))),
      );
    }
    ref.enc.delete();
    ref.dec.delete();
    enc.close();
    dec.close();
  });

  it("hold 100 pairs at once, each coding as it would alone (no pair touches another's memory)", async () => {
    const pcm = frames(await speech("hello how are you today")).slice(10, 25);
    const alone = (() => {
      const enc = new OpusEncoder(RATE, { complexity: OPUS_COMPLEXITY });
      const dec = new OpusDecoder(16_000);
      const r = pairRoundTrip(enc, dec, pcm);
      enc.close();
      dec.close();
      return r;
    })();
    const before = opusHeap().codecs;
    const pairs = Array.from({ length: 100 }, () => ({
      enc: new OpusEncoder(RATE, { complexity: OPUS_COMPLEXITY }),
      dec: new OpusDecoder(16_000),
      packets: [] as Buffer[],
      decoded: [] as number[][],
    }));
    expect(opusHeap().codecs).toBe(before + 200);
    // Interleaved, frame by frame, as live calls run.
    for (const f of pcm)
      for (const p of pairs) {
        const packet = p.enc.encode(f);
        p.packets.push(packet);
        p.decoded.push(Array.from(p.dec.decode(packet)));
      }
    for (const p of pairs) {
      expect(hex(p.packets)).toEqual(alone.packets);
      expect(p.decoded).toEqual(alone.decoded);
      p.enc.close();
      p.dec.close();
    }
    expect(opusHeap().codecs).toBe(before);
  }, 60_000);

  it("keep working when the heap grows under them, and reuse a closed codec's memory", () => {
    const tone = new Int16Array(FRAME).map((_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE)),
    );
    const first = new OpusEncoder(RATE);
    const expected = first.encode(tone).toString("hex");
    // Twice as many codecs as the heap held before: it grows (its old views are detached).
    const heapBefore = opusHeap().bytes;
    const many: (OpusEncoder | OpusDecoder)[] = [];
    while (opusHeap().bytes <= heapBefore) many.push(new OpusEncoder(RATE), new OpusDecoder(16_000));
    const second = new OpusEncoder(RATE);
    expect(second.encode(tone).toString("hex")).toBe(expected);
    expect(first.encode(tone).length).toBeGreaterThan(0); // made before the growth, still usable
    for (const c of many) c.close();
    // Closed codecs' memory is taken by new ones: the heap stays as it is over rounds of calls.
    const grown = opusHeap().bytes;
    for (let round = 0; round < 3; round++) {
      const again = many.map((c) =>
        c instanceof OpusEncoder ? new OpusEncoder(RATE) : new OpusDecoder(16_000),
      );
      for (const c of again) c.close();
    }
    expect(opusHeap().bytes).toBe(grown);
    first.close();
    second.close();
  });

  it("refuse what they cannot code, with the reason", () => {
    expect(() => new OpusEncoder(44_100 as OpusRate)).toThrow(/44100 Hz is not an Opus rate/);
    expect(() => new OpusEncoder(RATE, { complexity: 11 })).toThrow(/complexity must be an integer 0–10/);
    const enc = new OpusEncoder(RATE);
    expect(() => enc.encode(new Int16Array(0))).toThrow(OpusError);
    expect(() => enc.encode(new Int16Array(RATE))).toThrow(/holds 1–1440 samples, not 24000/); // 1 s
    const dec = new OpusDecoder(16_000);
    expect(() => dec.decode(new Uint8Array(5000))).toThrow(/1–3828 bytes, not 5000/);
    enc.close();
    enc.close(); // idempotent
    expect(() => enc.encode(new Int16Array(FRAME))).toThrow(/closed/);
    dec.close();
  });
});

/** Connects a werift client to the peer; resolves once both sides are connected. */
async function connect(
  peer: WeriftPeer,
  onRtp: (rtp: RtpPacket) => void,
): Promise<{ pc: RTCPeerConnection; track: MediaStreamTrack }> {
  const client = newPeer();
  const t = client.pc.addTransceiver(client.track, { direction: "sendrecv" });
  t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(onRtp));
  const answer = await peer.answer(await offerSdp(client.pc));
  const up = new Promise<void>((resolve) => peer.onState((s) => s === "connected" && resolve()));
  await client.pc.setRemoteDescription({ type: "answer", sdp: answer });
  await up;
  return client;
}

describe("WeriftPeer's codecs", () => {
  it("100 peers held in one process, the last carrying speech both ways; closed, their codecs are freed", async () => {
    const before = opusHeap().codecs;
    const peers = Array.from({ length: 100 }, () => new WeriftPeer({ host: "127.0.0.1" }));
    expect(opusHeap().codecs).toBe(before + 200);
    const last = peers.at(-1)!;
    const heardByClient: Int16Array[] = [];
    const clientDec = new OpusDecoder(RATE);
    const client = await connect(last, (rtp) => heardByClient.push(clientDec.decode(rtp.payload)));
    // The person's speech in: Opus RTP from the client, decoded by the peer at 16 kHz.
    const heardByPeer: Int16Array[] = [];
    last.onAudio((pcm) => heardByPeer.push(pcm));
    const clientEnc = new OpusEncoder(RATE);
    const words = frames(await speech("what is the weather like"));
    let seq = 1;
    for (const [i, f] of words.entries())
      client.track.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 111, sequenceNumber: seq++, timestamp: i * 960 }),
          clientEnc.encode(f),
        ),
      );
    // The agent's speech out: encoded by the peer, decoded by the client.
    last.play(await speech("it is sunny"));
    const loud = (xs: Int16Array[]) => xs.filter((x) => x.some((v) => Math.abs(v) > 1000)).length;
    await expect.poll(() => loud(heardByPeer), { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(() => loud(heardByClient), { timeout: 10_000 }).toBeGreaterThan(10);
    for (const p of peers) p.close();
    await client.pc.close();
    clientEnc.close();
    clientDec.close();
    expect(opusHeap().codecs).toBe(before);
    // And as many again: the next calls find the memory free.
    const bytes = opusHeap().bytes;
    const next = Array.from({ length: 100 }, () => new WeriftPeer({ host: "127.0.0.1" }));
    for (const p of next) p.close();
    expect(opusHeap().bytes).toBe(bytes);
  }, 60_000);
});
