// Every process follows settings changes: when any gateway saves settings it announces it on Redis,
// and each process reads its configuration again (a change is in effect everywhere within a second).
import type { Logger } from "pino";
import { reloadConfig } from "../config";
import { channelHub } from "../realtime/channel-hub";
import { SETTINGS_CHANNEL } from "./service";

export function followSettingsChanges(redisUrl: string, log: Logger): Promise<() => Promise<void>> {
  return channelHub(redisUrl).listen(SETTINGS_CHANNEL, (message) => {
    let from: number | undefined;
    try {
      from = (JSON.parse(message) as { pid?: number }).pid;
    } catch {
      from = undefined;
    }
    if (from === process.pid) return; // this process applied it already
    try {
      reloadConfig();
      log.info("settings changed: configuration reloaded");
    } catch (err) {
      log.error(
        { err: (err as Error).message },
        "settings changed but cannot be loaded; keeping the previous ones",
      );
    }
  });
}
