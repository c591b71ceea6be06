// A configuration problem, told as "where: which key: why" so an operator can fix it without a stack trace.
export interface ConfigProblem {
  /** The file or variable the bad value came from, e.g. "conf/tenants.yaml" or "environment variable PORT". */
  origin: string;
  /** Dotted key inside that origin, when there is one. */
  key?: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return p.key ? `${p.origin}: ${p.key}: ${p.reason}` : `${p.origin}: ${p.reason}`;
}
