// Cuts audio arriving in chunks of any size into frames of a fixed size, keeping the rest for the
// next chunk (the VAD wants exactly VAD_FRAME samples at a time).
export class FrameCutter {
  private readonly buf: Int16Array;
  private filled = 0;

  constructor(private readonly size: number) {
    this.buf = new Int16Array(size);
  }

  /** The whole frames `pcm` completes, in order (each a copy of its own). */
  push(pcm: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    while (offset < pcm.length) {
      const k = Math.min(this.size - this.filled, pcm.length - offset);
      this.buf.set(pcm.subarray(offset, offset + k), this.filled);
      this.filled += k;
      offset += k;
      if (this.filled === this.size) {
        frames.push(this.buf.slice());
        this.filled = 0;
      }
    }
    return frames;
  }

  /** The samples kept for the next frame (a copy). */
  pending(): Int16Array {
    return this.buf.slice(0, this.filled);
  }
}
