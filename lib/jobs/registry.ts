// The scheduler's jobs by name, each with exactly one handler. Like immich's job repository, the
// worker checks the table at start and refuses to run when a name has no handler or two: a job
// enqueued under a name nobody handles would otherwise fail only when it first fires.
export const JOB_NAMES = ["schedule.tick", "schedule.fire", "backup.run"] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobHandler<T = unknown> {
  name: string;
  handle: (data: unknown, attempt: { made: number; max: number }) => Promise<T>;
}

/** The name→handler table; throws naming every job without a handler, with two, or unknown. */
export function handlerTable(
  handlers: JobHandler[],
  names: readonly string[] = JOB_NAMES,
): Map<string, JobHandler> {
  const problems: string[] = [];
  const table = new Map<string, JobHandler>();
  for (const h of handlers) {
    if (!names.includes(h.name)) problems.push(`${h.name}: handler for a job that does not exist`);
    else if (table.has(h.name)) problems.push(`${h.name}: more than one handler`);
    else table.set(h.name, h);
  }
  for (const n of names) if (!table.has(n)) problems.push(`${n}: no handler`);
  if (problems.length) throw new Error(`scheduler jobs are misconfigured: ${problems.join("; ")}`);
  return table;
}
