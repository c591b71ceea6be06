// Opus encoders and decoders for the media peers: libopus as opusscript builds it for WebAssembly,
// driven here rather than through opusscript's wrapper, which cannot hold more than about 40
// encoder + decoder pairs in a process (the 41st `encode` throws `RangeError: offset is out of
// bounds`). Two faults of its index.js (0.1.1), none of the heap's size:
//   - its 16-bit PCM views are made as `HEAPU16.subarray(pointer, …)` with a byte pointer, so they
//     start at twice the address malloc gave (outside the allocation, in whatever lies there); once a
//     buffer sits past half the 16 MB heap (~40 pairs of ~208 KB) the view is cut short and the copy
//     into it throws;
//   - the heap grows (emscripten's memory growth), but the views are made once: a growth detaches
//     them, and every instance made before it throws from then on.
// Here the buffers are sized for what the native side touches, addressed by their byte offset, and
// the heap's views are read at every call. All codecs share one WebAssembly instance, whose heap grows
// as they are made and is reused as they are closed (tests/unit/voice-opus-codec.test.ts).
import { createRequire } from "node:module";

export type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;
const RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];
/** OPUS_APPLICATION_VOIP: speech. */
const APPLICATION_VOIP = 2048;
const OPUS_SET_COMPLEXITY = 4010;
/** The native encoder's output bound (opusscript's MAX_PACKET_SIZE). */
const MAX_PACKET_BYTES = 1276 * 3;
/** Longest Opus frame: 60 ms to encode, 120 ms decoded from one packet. */
const MAX_ENCODE_MS = 60;
const MAX_DECODE_MS = 120;

interface NativeHandler {
  _encode(pcmPointer: number, pcmBytes: number, packetPointer: number, frameSamples: number): number;
  _decode(packetPointer: number, packetBytes: number, pcmPointer: number): number;
  _encoder_ctl(request: number, value: number): number;
}
/** The emscripten module of opusscript's build (build/opusscript_native_wasm.js). */
interface OpusNative {
  OpusScriptHandler: {
    new (rate: number, channels: number, application: number): NativeHandler;
    destroy_handler(handler: NativeHandler): void;
  };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  /** Replaced when the heap grows: read it at each use, never keep it. */
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
}

let native: OpusNative | undefined;
let live = 0;

function opus(): OpusNative {
  if (!native) {
    const load = createRequire(import.meta.url)(
      "opusscript/build/opusscript_native_wasm.js",
    ) as () => OpusNative;
    native = load(); // compiles and instantiates synchronously (the .wasm beside it, ~318 KB)
  }
  return native;
}

/** The shared codec heap, for tests and benches: codecs open and the heap's size in bytes. */
export function opusHeap(): { codecs: number; bytes: number } {
  return { codecs: live, bytes: native?.HEAPU8.length ?? 0 };
}

/** Thrown for a frame or packet the codec cannot take, and when libopus fails. */
export class OpusError extends Error {}

/**
 * One native handler (libopus keeps an encoder and a decoder in each) and its two buffers. The
 * native side moves PCM one byte per 16-bit slot (`input[i] = input[2i+1] << 8 | input[2i]` for i <
 * bytes, so it reads 4 × bytes; it writes decoded samples as two slots each): the PCM buffer is sized
 * for that.
 */
abstract class Codec {
  protected readonly m = opus();
  protected readonly handler: NativeHandler;
  protected readonly pcm: number;
  protected readonly packet: number;
  protected closed = false;

  protected constructor(
    readonly rate: OpusRate,
    pcmBytes: number,
  ) {
    if (!RATES.includes(rate)) throw new OpusError(`${rate} Hz is not an Opus rate (${RATES.join(", ")}).`);
    this.handler = new this.m.OpusScriptHandler(rate, 1, APPLICATION_VOIP);
    this.pcm = this.m._malloc(pcmBytes);
    this.packet = this.m._malloc(MAX_PACKET_BYTES);
    live++;
  }

  /** Frees the native memory for the next codec (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live--;
    this.m.OpusScriptHandler.destroy_handler(this.handler);
    this.m._free(this.pcm);
    this.m._free(this.packet);
  }

  protected usable(): void {
    if (this.closed) throw new OpusError("The Opus codec is closed.");
  }
}

/** Mono Opus encoder (VOIP), 16-bit PCM in, one packet per frame out. */
export class OpusEncoder extends Codec {
  private readonly maxSamples: number;

  constructor(rate: OpusRate, opts: { complexity?: number } = {}) {
    const maxSamples = (rate * MAX_ENCODE_MS) / 1000;
    super(rate, maxSamples * 2 * 4);
    this.maxSamples = maxSamples;
    if (opts.complexity !== undefined) {
      const c = opts.complexity;
      if (!Number.isInteger(c) || c < 0 || c > 10) {
        this.close();
        throw new OpusError(`Opus complexity must be an integer 0–10, not ${c}.`);
      }
      this.handler._encoder_ctl(OPUS_SET_COMPLEXITY, c);
    }
  }

  /** One frame (2.5–60 ms of samples at the encoder's rate) → one Opus packet. */
  encode(frame: Int16Array): Buffer {
    this.usable();
    if (frame.length === 0 || frame.length > this.maxSamples)
      throw new OpusError(
        `An Opus frame at ${this.rate} Hz holds 1–${this.maxSamples} samples, not ${frame.length}.`,
      );
    const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    this.m.HEAPU16.set(bytes, this.pcm >> 1); // a byte per 16-bit slot (malloc aligns to 8)
    const n = this.handler._encode(this.pcm, bytes.length, this.packet, frame.length);
    if (n < 0) throw new OpusError(`Opus could not encode the frame (libopus error ${n}).`);
    return Buffer.from(this.m.HEAPU8.subarray(this.packet, this.packet + n));
  }
}

/** Mono Opus decoder: one packet in, 16-bit PCM at the decoder's rate out. */
export class OpusDecoder extends Codec {
  constructor(rate: OpusRate) {
    super(rate, ((rate * MAX_DECODE_MS) / 1000) * 2 * 2);
  }

  /** One packet → its samples (a copy, the decoder's buffer is reused). */
  decode(packet: Uint8Array): Int16Array {
    this.usable();
    if (packet.length === 0 || packet.length > MAX_PACKET_BYTES)
      throw new OpusError(`An Opus packet holds 1–${MAX_PACKET_BYTES} bytes, not ${packet.length}.`);
    this.m.HEAPU8.set(packet, this.packet);
    const n = this.handler._decode(this.packet, packet.length, this.pcm);
    if (n < 0) throw new OpusError(`Opus could not decode the packet (libopus error ${n}).`);
    // Each sample comes back as two 16-bit slots, its low byte then its high byte.
    const slots = this.m.HEAPU16.subarray(this.pcm >> 1, (this.pcm >> 1) + n * 2);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = (slots[2 * i + 1]! << 8) | slots[2 * i]!;
    return out;
  }
}
