// One application error type with a closed set of codes. The user-facing message is separate from
// what is logged, and raw zod/database errors never reach a response.
import { ZodError } from "zod";

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  budget_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  /** The deployment is in maintenance (an admin said so): Retry-After says when to try again. */
  maintenance: 503,
  /** This gateway is shutting down: send it again, another gateway takes it. */
  draining: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

const BRAND = Symbol.for("somaagent.AppError");

export class AppError extends Error {
  /**
   * The gateway loads lib/ twice (the custom server, and Next's route-handler bundles), so one
   * error may come from either copy of this class: instanceof checks a brand, not the prototype.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  /** Extra context for the log line only; never sent to the client. */
  readonly logContext: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: {
      details?: unknown;
      headers?: Record<string, string>;
      logContext?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
    this.logContext = opts.logContext;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** zod issues as field-level details: [{ field: "title", message: "..." }]. */
export function fromZod(error: ZodError, what = "request body"): AppError {
  const details = error.issues.map((i) => ({ field: i.path.join(".") || "(root)", message: i.message }));
  const first = details[0];
  return new AppError(
    "invalid_request",
    first ? `Invalid ${what}: ${first.field}: ${first.message}` : `Invalid ${what}`,
    {
      details,
    },
  );
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return fromZod(err);
  if (isDependencyDown(err))
    return new AppError("unavailable", "A service SomaAgent depends on is unavailable; try again shortly.", {
      cause: err,
      headers: { "retry-after": "5" },
    });
  return new AppError("internal", "Something went wrong on our side. The error has been logged.", {
    cause: err,
  });
}

// Postgres unreachable (Prisma P1xxx, driver errors) or saturated: P2024/P2028 mean no pooled
// connection or transaction slot came in time (overload, not a bug).
const TRANSIENT_CODES = [
  "P1001",
  "P1002",
  "P1017",
  "P2024",
  "P2028",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "57P01",
];

/** Postgres or Redis unreachable or saturated. */
function isDependencyDown(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { name, code, message } = e as { name?: string; code?: string; message?: string };
    if (name === "PrismaClientInitializationError") return true;
    if (code && TRANSIENT_CODES.includes(code)) return true;
    if (name === "MaxRetriesPerRequestError") return true;
    if (message && /Connection is closed|Command timed out|ECONNREFUSED/.test(message)) return true;
  }
  return false;
}

/** For route handlers (web Response). */
export function toResponse(err: unknown): Response {
  const e = toAppError(err);
  return Response.json(e.toBody(), { status: e.status, headers: e.headers });
}
