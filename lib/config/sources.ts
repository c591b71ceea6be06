// The configuration sources, highest priority first ("offline": the offline provider's fallback for
// model roles nobody configured, see offline-fallback.ts).
export const SOURCES = ["env", "settings", "tenant", "providers", "offline", "default"] as const;
export type SourceName = (typeof SOURCES)[number];
