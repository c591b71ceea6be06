// A tool call's status, spelled once: where it stands, and the statuses it ends in. Free of imports,
// so the browser's timeline uses the same names.
export const TOOL_FINAL_STATUSES = ["succeeded", "failed", "denied", "timeout", "killed"] as const;
export const TOOL_STATUSES = ["pending", "queued", "running", ...TOOL_FINAL_STATUSES] as const;

/** How a tool call ended. */
export type ToolStatus = (typeof TOOL_FINAL_STATUSES)[number];

export function isFinal(status: string): status is ToolStatus {
  return (TOOL_FINAL_STATUSES as readonly string[]).includes(status);
}
