// The runtime document's names for some operations: the same operation at another path, outside
// /api/v1 but authenticated like it.
export const ALIASES: readonly [
  alias: string,
  method: "get" | "post",
  of: string,
  ofMethod: "get" | "post" | "put",
][] = [
  ["/settings_get", "get", "/api/v1/settings", "get"],
  ["/settings_set", "post", "/api/v1/settings", "put"],
  ["/realtime_session", "post", "/api/v1/realtime/session", "post"],
];
