"use client";
// The call's audio over the signalling socket, for when WebRTC cannot connect: the microphone at
// 16 kHz in 64 ms chunks, the agent's 24 kHz PCM played as it arrives. Without the peer connection
// the browser cannot cancel the agent's echo, so the microphone sends silence while the agent speaks.

export class PcmFallback {
  // Both at the device's own rate: the microphone is resampled to 16 kHz here, and 24 kHz buffers
  // play at any rate (a MediaStream source in a context of another rate is not reliably resampled).
  private readonly input = new AudioContext();
  private readonly output = new AudioContext();
  private readonly processor: ScriptProcessorNode;
  private playing: AudioBufferSourceNode[] = [];
  private nextTime = 0;

  constructor(
    stream: MediaStream,
    send: (pcm: ArrayBuffer) => void,
    /** The person is holding push-to-talk: their words go through even over the agent. */
    talking: () => boolean,
  ) {
    const source = this.input.createMediaStreamSource(stream);
    this.processor = this.input.createScriptProcessor(4096, 1, 1);
    const step = this.input.sampleRate / 16_000;
    let pos = 0; // where the next 16 kHz sample falls in the current buffer
    this.processor.onaudioprocess = (e) => {
      const f = e.inputBuffer.getChannelData(0);
      const out: number[] = [];
      const open = !this.speaking() || talking();
      for (; pos < f.length; pos += step) {
        const k = Math.floor(pos);
        const v = f[k]! + ((f[k + 1] ?? f[k]!) - f[k]!) * (pos - k);
        out.push(open ? Math.max(-1, Math.min(1, v)) * 32_767 : 0);
      }
      pos -= f.length;
      send(Int16Array.from(out).buffer);
    };
    source.connect(this.processor);
    this.processor.connect(this.input.destination); // a processor only runs when connected
  }

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
    this.processor.disconnect();
    void this.input.close().catch(() => undefined);
    void this.output.close().catch(() => undefined);
  }
}
