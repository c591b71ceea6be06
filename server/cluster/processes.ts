// How many gateway processes this host runs behind server.port (server.processes,
// SOMA_GATEWAY_PROCESSES): 0 means one per core in production and one in development and test.
// Development always runs one: the supervisor reloads that process on every change
// (scripts/supervisor.ts), and a second would serve stale code until it did too.

export interface ProcessCount {
  count: number;
  /** Why this many, for the start-up log line. */
  reason: string;
}

export function gatewayProcessCount(opts: {
  /** server.processes: 0 = the default for the mode. */
  setting: number;
  nodeEnv: string | undefined;
  /** os.availableParallelism(): the cores this process may run on. */
  cores: number;
}): ProcessCount {
  const { setting, nodeEnv } = opts;
  const cores = Math.max(1, opts.cores);
  if (nodeEnv !== "production" && nodeEnv !== "test")
    return {
      count: 1,
      reason:
        setting > 1
          ? `development runs one process (server.processes=${setting} applies with NODE_ENV=production)`
          : "development runs one process",
    };
  if (setting === 0)
    return nodeEnv === "production"
      ? { count: cores, reason: `one per core (${cores})` }
      : { count: 1, reason: "tests run one process unless server.processes says otherwise" };
  // More processes than cores only add context switches to the same CPU time: capped rather than
  // dropped to one, so a setting written for a bigger host still uses every core of this one.
  if (setting > cores)
    return { count: cores, reason: `server.processes=${setting}, capped at the ${cores} cores` };
  return { count: setting, reason: `server.processes=${setting}` };
}
