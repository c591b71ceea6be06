// A process-local copy kept fresh by announcements on one channel (the authz cache, the maintenance
// state): the copy may be trusted only while the subscription is active on a live connection. A
// closed connection may have lost announcements, so the owner forgets its copy then; if subscribing
// fails, the owner reads the source every time (and says so once).
import { logger } from "../server/logger";

export interface HubForWatch {
  live: boolean;
  listen(channel: string, fn: (m: string) => void): Promise<unknown>;
  onInterrupt(fn: () => void): unknown;
}

export interface ChannelWatch {
  /** Subscribed, and the connection is up: announcements are arriving. */
  readonly trusted: boolean;
}

export function watchChannel(
  hub: HubForWatch,
  channel: string,
  on: { message: (m: string) => void; interrupted: () => void },
  /** What goes without the subscription, for the warning: "OpenFGA asked every time". */
  fallback: string,
): ChannelWatch {
  let subscribed = false;
  hub.onInterrupt(on.interrupted);
  hub
    .listen(channel, on.message)
    .then(() => (subscribed = true))
    .catch((err: unknown) =>
      logger().warn({ err: (err as Error).message, channel }, `no subscription to ${channel}: ${fallback}`),
    );
  return {
    get trusted() {
      return subscribed && hub.live;
    },
  };
}
