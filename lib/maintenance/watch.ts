// The maintenance state as a turn's start asks for it, kept in the process instead of read from Redis
// on every message: every change is announced on MAINTENANCE_CHANNEL (and the process making it sets
// its own copy before announcing), so the copy is replaced as the change arrives. It is trusted only
// while the subscription is live (a dropped connection may have lost an announcement: the copy is
// dropped) and for at most a second (the bound for a key changed in Redis by hand); a read that raced
// a change is not kept. A view past its `until` is not in force, as the key has expired by then.
import { getConfig } from "../config";
import { channelHub } from "../realtime/channel-hub";
import { watchChannel, type ChannelWatch, type HubForWatch } from "../realtime/channel-watch";
import { logger } from "../server/logger";
import { existingSingleton, singleton } from "../singleton";
import type { MaintenanceView } from "./view";

export const MAINTENANCE_CHANNEL = "maintenance:changed";
const MAX_AGE_MS = 1_000;

export class MaintenanceWatch {
  private kept: { view: MaintenanceView; at: number } | undefined;
  /** Bumped by every change; a read begun before one is not kept. */
  private epoch = 0;
  private reading: { epoch: number; view: Promise<MaintenanceView> } | undefined;
  private readonly watch: ChannelWatch;

  constructor(
    hub: HubForWatch,
    private readonly maxAgeMs = MAX_AGE_MS,
  ) {
    this.watch = watchChannel(
      hub,
      MAINTENANCE_CHANNEL,
      {
        message: (raw) => {
          try {
            this.changed(JSON.parse(raw) as MaintenanceView);
          } catch (err) {
            logger().error({ err, raw }, "unreadable maintenance announcement: read from Redis instead");
            this.forget();
          }
        },
        interrupted: () => this.forget(),
      },
      "the maintenance state is read from Redis on every turn",
    );
  }

  private get usable(): boolean {
    return this.watch.trusted;
  }

  /** The kept view while it can be trusted, else `read()`'s (one read at a time, shared). */
  async current(read: () => Promise<MaintenanceView>): Promise<MaintenanceView> {
    const kept = this.usable ? this.kept : undefined;
    if (kept && performance.now() - kept.at < this.maxAgeMs) return kept.view;
    if (this.reading?.epoch === this.epoch) return this.reading.view;
    const epoch = this.epoch;
    const view = read();
    this.reading = { epoch, view };
    try {
      const v = await view;
      if (this.usable && epoch === this.epoch) this.kept = { view: v, at: performance.now() };
      return v;
    } finally {
      if (this.reading?.view === view) this.reading = undefined;
    }
  }

  /** A change, announced or made here: it is the view from now on. */
  changed(view: MaintenanceView): void {
    this.epoch++;
    this.kept = this.usable ? { view, at: performance.now() } : undefined;
  }

  forget(): void {
    this.epoch++;
    this.kept = undefined;
  }
}

const WATCH = "maintenance-watch";

export function maintenanceWatch(): MaintenanceWatch {
  return singleton(WATCH, () => new MaintenanceWatch(channelHub(getConfig().settings.redis.url)));
}

/** After a change is stored: this process's copy now (the others' on the announcement). */
export function maintenanceChangedHere(view: MaintenanceView): void {
  existingSingleton<MaintenanceWatch>(WATCH)?.changed(view);
}
