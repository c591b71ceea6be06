// Maintenance mode as every page, /readyz and the API show it. No imports: the browser bundles this.
export interface MaintenanceView {
  active: boolean;
  message: string | null;
  /** When it was switched on (ISO 8601). */
  since: string | null;
  /** When it ends by itself, if it does (ISO 8601). */
  until: string | null;
}

export const NO_MAINTENANCE: MaintenanceView = { active: false, message: null, since: null, until: null };

/** Whether `view` is in force at `now` (a stale view past its `until` is not). */
export function inForce(view: MaintenanceView, now = Date.now()): boolean {
  return view.active && (view.until === null || Date.parse(view.until) > now);
}

/** socket.io `/system`: what the server pushes to every open page. */
export interface SystemServerEvents {
  /** Maintenance switched on or off (pushed by every gateway to all its pages; also sent on connect). */
  maintenance: (view: MaintenanceView) => void;
  /** This gateway is shutting down: reconnect (a load balancer sends the new connection elsewhere). */
  "server.draining": (e: { reason: string }) => void;
}
