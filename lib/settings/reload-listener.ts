// Every process follows settings changes: at start its copy of the settings is brought up to date
// with the shared document (./shared.ts), and when any process saves settings it announces the new
// version on Redis and each process applies it (in effect everywhere within a second).
import type { Logger } from "pino";
import { channelHub } from "../realtime/channel-hub";
import { redis } from "../server/redis";
import { onAnnouncement, SETTINGS_CHANNEL, syncAtStart } from "./shared";

export async function followSettingsChanges(redisUrl: string, log: Logger): Promise<() => Promise<void>> {
  await syncAtStart(redis(), log);
  return channelHub(redisUrl).listen(SETTINGS_CHANNEL, (message) => {
    onAnnouncement(message, log).catch((err: unknown) =>
      log.error(
        { err: (err as Error).message },
        "settings changed but cannot be applied; keeping the previous ones",
      ),
    );
  });
}
