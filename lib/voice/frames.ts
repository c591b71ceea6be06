// Cuts audio arriving in chunks of any size into frames of a fixed size, keeping the rest for the
// next chunk (the VAD wants exactly VAD_FRAME samples at a time).
export class FrameCutter {
  private pending = new Int16Array(0);

  constructor(private readonly size: number) {}

  /** The whole frames `pcm` completes, in order. */
  push(pcm: Int16Array): Int16Array[] {
    const joined = new Int16Array(this.pending.length + pcm.length);
    joined.set(this.pending);
    joined.set(pcm, this.pending.length);
    const frames: Int16Array[] = [];
    let offset = 0;
    while (joined.length - offset >= this.size) {
      frames.push(joined.slice(offset, offset + this.size));
      offset += this.size;
    }
    this.pending = joined.slice(offset);
    return frames;
  }
}
