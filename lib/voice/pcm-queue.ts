// Audio waiting to be sent, taken from the front a frame at a time.

export class PcmQueue {
  private chunks: Int16Array[] = [];
  private offset = 0;

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  push(pcm: Int16Array): void {
    if (pcm.length > 0) this.chunks.push(pcm);
  }

  /** The next `n` samples, zero-padded at the end when fewer are left; undefined when empty. */
  take(n: number): { samples: Int16Array; filled: number } | undefined {
    if (this.chunks.length === 0) return undefined;
    const samples = new Int16Array(n);
    let filled = 0;
    while (filled < n && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const k = Math.min(n - filled, head.length - this.offset);
      samples.set(head.subarray(this.offset, this.offset + k), filled);
      filled += k;
      this.offset += k;
      if (this.offset >= head.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return { samples, filled };
  }

  /** Everything still queued; the queue is empty afterwards. */
  drain(): Int16Array[] {
    const rest = this.chunks.map((pcm, i) => (i === 0 ? pcm.subarray(this.offset) : pcm));
    this.chunks = [];
    this.offset = 0;
    return rest;
  }
}
