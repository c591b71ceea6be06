// Whether this process is shutting down (SIGTERM): from then on it starts no new turns or voice
// calls, which are refused with 503 `draining` so the client sends them again (to another gateway).
// A globalThis singleton: the custom server and Next's route-handler bundles share it.
import { AppError } from "../errors";
import { singleton } from "../singleton";

const state = () => singleton("gateway-draining", () => ({ draining: false }));

export function markDraining(): void {
  state().draining = true;
}

export function isDraining(): boolean {
  return state().draining;
}

export function refuseWhileDraining(what: string): void {
  if (isDraining())
    throw new AppError(
      "draining",
      `This gateway is shutting down: start the ${what} again and another gateway will take it.`,
      { headers: { "retry-after": "1" } },
    );
}
