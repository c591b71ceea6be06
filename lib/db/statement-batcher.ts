// Many small writes of one kind as few statements, without waiting for a timer: a write goes out at
// once while fewer than `maxInFlight` statements of its kind are running; otherwise it waits for the
// next one to finish and goes out with every write that queued meanwhile, as one statement (up to
// `maxBatch` rows). One write alone is sent alone, as soon as it comes (nothing added at low load);
// 200 turns starting in the same instant become a handful of statements instead of 200 (on a busy
// Postgres each statement costs its planning, its triggers' setup and its commit: about 2 ms here,
// where each further row of a multi-row statement costs a fraction of that).
// A batch that fails is retried one write at a time, so a bad row fails only its own caller. A batch
// that succeeded but answered a different number of rows than it was given is not retried (its rows
// are committed, and writing them again would write them twice): every caller of it gets the error.
export interface BatchOptions<In, Out> {
  /** Writes the rows in one statement; answers each row, in order. */
  many: (items: In[]) => Promise<Out[]>;
  /** Writes one row (also the fallback when a batch fails). */
  one: (item: In) => Promise<Out>;
  maxInFlight?: number;
  maxBatch?: number;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

export class StatementBatcher<In, Out> {
  private queue: Waiting<In, Out>[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: BatchOptions<In, Out>) {
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.maxBatch = opts.maxBatch ?? 100;
  }

  write(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Waiting<In, Out>[]): Promise<void> {
    if (batch.length === 1) {
      const [w] = batch as [Waiting<In, Out>];
      await this.opts.one(w.item).then(w.resolve, w.reject);
      return;
    }
    let outs: Out[];
    try {
      outs = await this.opts.many(batch.map((w) => w.item));
    } catch {
      // Which row failed is not known: each one again, alone, answers its own caller.
      await Promise.all(batch.map((w) => this.opts.one(w.item).then(w.resolve, w.reject)));
      return;
    }
    if (outs.length !== batch.length) {
      const err = new Error(
        `a batch of ${batch.length} rows answered ${outs.length}: a bug in its statement`,
      );
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(outs[i]!));
  }
}
