"use client";
// The call's audio over the signalling socket, for when WebRTC cannot connect: the microphone at
// 16 kHz in 40 ms chunks, the agent's 24 kHz PCM played as it arrives. Without the peer connection
// the browser cannot cancel the agent's echo, so the microphone sends silence while the agent speaks.
//
// The microphone is read by an AudioWorklet, on the audio thread: its chunks queue in the port while
// the page's main thread is busy, where a ScriptProcessorNode (main thread) dropped the audio of
// any stall longer than its buffer, and with it words from the middle of what the person said.

/** Milliseconds of microphone audio per chunk sent. */
const CHUNK_MS = 40;

// The processor posts CHUNK_MS of its input at the context's rate. Loaded from a blob: it is the
// page's own code (CSP: a worklet module is not parser-inserted, so 'strict-dynamic' admits it).
const CAPTURE_WORKLET = `
registerProcessor("soma-pcm-capture", class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.samples = options.processorOptions.samples;
    this.chunk = new Float32Array(this.samples);
    this.filled = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      this.chunk[this.filled++] = input[i];
      if (this.filled === this.chunk.length) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]); // detaches it: a new one follows
        this.chunk = new Float32Array(this.samples);
        this.filled = 0;
      }
    }
    return true;
  }
});
`;

export class PcmFallback {
  private playing: AudioBufferSourceNode[] = [];
  private nextTime = 0;

  /**
   * Starts sending the microphone. `talking`: the person is holding push-to-talk, so their words go
   * through even over the agent.
   */
  static async open(
    stream: MediaStream,
    send: (pcm: ArrayBuffer) => void,
    talking: () => boolean,
  ): Promise<PcmFallback> {
    // Both at the device's own rate: the microphone is resampled to 16 kHz here, and 24 kHz buffers
    // play at any rate (a MediaStream source in a context of another rate is not reliably resampled).
    const input = new AudioContext();
    const output = new AudioContext();
    try {
      const url = URL.createObjectURL(new Blob([CAPTURE_WORKLET], { type: "text/javascript" }));
      try {
        await input.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      const capture = new AudioWorkletNode(input, "soma-pcm-capture", {
        numberOfInputs: 1,
        numberOfOutputs: 1, // silent (it writes nothing): a node runs only when the output pulls it
        channelCount: 1,
        channelCountMode: "explicit",
        processorOptions: { samples: Math.round((input.sampleRate * CHUNK_MS) / 1000) },
      });
      const fallback = new PcmFallback(input, output, capture);
      const toPcm16 = resampler(input.sampleRate);
      capture.port.onmessage = (e: MessageEvent<Float32Array>) => {
        const open = !fallback.speaking() || talking();
        send(toPcm16(e.data, open).buffer);
      };
      input.createMediaStreamSource(stream).connect(capture);
      capture.connect(input.destination);
      return fallback;
    } catch (err) {
      void input.close().catch(() => undefined);
      void output.close().catch(() => undefined);
      throw err;
    }
  }

  private constructor(
    private readonly input: AudioContext,
    private readonly output: AudioContext,
    private readonly capture: AudioWorkletNode,
  ) {}

  /** Plays a chunk after what is queued; null drops everything queued (the agent was interrupted). */
  play(chunk: ArrayBuffer | Uint8Array | null): void {
    if (chunk === null) {
      for (const s of this.playing) s.stop();
      this.playing = [];
      this.nextTime = 0;
      return;
    }
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
    const pcm = new Int16Array(bytes.slice().buffer, 0, bytes.byteLength >> 1);
    if (pcm.length === 0) return;
    const buffer = this.output.createBuffer(1, pcm.length, 24_000);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i]! / 32_768;
    const node = this.output.createBufferSource();
    node.buffer = buffer;
    node.connect(this.output.destination);
    const at = Math.max(this.output.currentTime + 0.05, this.nextTime);
    node.start(at);
    this.nextTime = at + buffer.duration;
    this.playing.push(node);
    node.onended = () => (this.playing = this.playing.filter((n) => n !== node));
  }

  speaking(): boolean {
    return this.nextTime > this.output.currentTime;
  }

  close(): void {
    this.capture.port.onmessage = null;
    this.capture.disconnect();
    void this.input.close().catch(() => undefined);
    void this.output.close().catch(() => undefined);
  }
}

/**
 * Linear resampling from `rate` to 16 kHz across chunks (the position carries over), to 16-bit
 * samples; `open` false gives silence of the same length (the agent is speaking).
 */
function resampler(rate: number): (chunk: Float32Array, open: boolean) => Int16Array<ArrayBuffer> {
  const step = rate / 16_000;
  let pos = 0; // where the next 16 kHz sample falls in the current chunk
  return (f, open) => {
    const out: number[] = [];
    for (; pos < f.length; pos += step) {
      const k = Math.floor(pos);
      const v = f[k]! + ((f[k + 1] ?? f[k]!) - f[k]!) * (pos - k);
      out.push(open ? Math.max(-1, Math.min(1, v)) * 32_767 : 0);
    }
    pos -= f.length;
    return Int16Array.from(out);
  };
}
