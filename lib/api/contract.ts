// A route's contract: its path, and per method what it takes (path and query parameters, body) and
// what it answers (responses, error codes). Each app/api/**/route.ts has a sibling schema.ts that
// defines one with defineRoute(); app/api/contracts.ts registers them all, and the OpenAPI document
// (./openapi.ts) and the gateway's method check (405 with Allow) are generated from that registry.
import type { z } from "zod";

export const METHODS = ["get", "post", "put", "patch", "delete"] as const;
export type Method = (typeof METHODS)[number];

/** A plain JSON Schema (2020-12), for the shapes that have no zod schema. */
export type JsonSchema = { [key: string]: unknown };
/** A zod schema (converted to JSON Schema for the document) or a JSON Schema as is. */
export type SchemaLike = z.ZodType | JsonSchema;

export interface ParameterSpec {
  name: string;
  in: "query" | "header";
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface ResponseSpec {
  description: string;
  /** The body, by content type; a bare schema means application/json. */
  body?: SchemaLike;
  content?: Record<string, SchemaLike>;
  /** A text/event-stream: the schema of each event (`id`, `event`, `data`). */
  events?: JsonSchema;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface OperationSpec {
  summary: string;
  description?: string;
  /** Callable without credentials. */
  public?: boolean;
  /** The query parameters: the zod object the handler parses them with, or listed by hand. */
  query?: z.ZodObject | ParameterSpec[];
  headers?: ParameterSpec[];
  /** The JSON request body; `bodyRequired` false when an empty body is accepted. */
  body?: SchemaLike;
  bodyRequired?: boolean;
  responses: Record<number, ResponseSpec>;
  /** The error statuses this operation can answer (each with the JSON error body). */
  errors: number[];
}

export interface RouteContract {
  /** The URL path with `{param}` segments, as in the OpenAPI document. */
  path: string;
  /** Path parameters' schemas; a parameter not named here is any string. */
  params?: Record<string, JsonSchema>;
  /** Not part of the public API (kept out of the document, still method-checked). */
  internal?: boolean;
  /** Answered by the gateway's HTTP handler itself (server/), not by a Next route: no route.ts. */
  servedByGateway?: boolean;
  operations: Partial<Record<Method, OperationSpec>>;
  /**
   * The routes the document lists instead of this template, when what a request may carry depends on
   * the parameter (a tool's arguments depend on the tool): one concrete path each.
   */
  documentedAs?: () => RouteContract[];
}

export function defineRoute(
  path: string,
  operations: RouteContract["operations"],
  opts: Pick<RouteContract, "params" | "internal" | "documentedAs" | "servedByGateway"> = {},
): RouteContract {
  return { path, operations, ...opts };
}

export const uuidParam: JsonSchema = { type: "string", format: "uuid" };

/** The HTTP methods a route answers, for the Allow header (HEAD with GET; OPTIONS always). */
export function allowedMethods(contract: RouteContract): string[] {
  const declared = METHODS.filter((m) => contract.operations[m]).map((m) => m.toUpperCase());
  return [...declared, ...(declared.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
}

const names = new WeakMap<object, { name: string; io: "input" | "output" }>();

/**
 * Names a schema: the document lists it once under components and refers to it by `$ref`. A request
 * body is described as the handler accepts it (`input`: defaults optional), a response as it is sent.
 */
export function named<T extends SchemaLike>(name: string, schema: T, io: "input" | "output" = "output"): T {
  names.set(schema, { name, io });
  return schema;
}

export function nameOf(schema: SchemaLike): { name: string; io: "input" | "output" } | undefined {
  return names.get(schema);
}

/** A path template as a matcher: the parameters it captures, or null. */
export function pathMatcher(template: string): (pathname: string) => Record<string, string> | null {
  const keys: string[] = [];
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_m, key) => {
    keys.push(String(key).replace(/^\.\.\./, ""));
    return String(key).startsWith("...") ? "(.+)" : "([^/]+)";
  });
  const re = new RegExp(`^${pattern}/?$`);
  return (pathname) => {
    const m = re.exec(pathname);
    if (!m) return null;
    return Object.fromEntries(keys.map((k, i) => [k, safeDecode(m[i + 1]!)]));
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape is matched as written; the handler rejects it
  }
}
