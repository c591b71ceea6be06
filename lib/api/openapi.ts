// The OpenAPI 3.2 document of the public API, generated from the registered route contracts
// (app/api/contracts.ts) and the zod schemas they name (JSON Schema 2020-12, as OpenAPI 3.1 uses).
import { z } from "zod";
import { COMPONENTS } from "./components";
import {
  METHODS,
  nameOf,
  type JsonSchema,
  type OperationSpec,
  type ParameterSpec,
  type RouteContract,
  type SchemaLike,
} from "./contract";
import { ALIASES } from "./aliases";

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid request (details name the field)",
  401: "Not authenticated",
  402: "Over the tenant's budget (code budget_exceeded)",
  403: "Not allowed",
  404: "Not found (or not visible to the caller)",
  405: "Method not allowed (the Allow header lists the methods)",
  409: "Conflict (a turn is already running, or none is; the tenant's last admin)",
  413: "Body or message too large",
  415: "Body is not JSON",
  429: "Rate limited (Retry-After)",
  503: "A dependency is unavailable, maintenance mode is on (code maintenance), or this gateway is shutting down (code draining); Retry-After says when to retry",
};

function isZod(s: SchemaLike): s is z.ZodType {
  return typeof s === "object" && s !== null && "_zod" in s;
}

function fromZod(t: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(t, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** A schema in the document: a `$ref` when it is a named component, else inline. */
function schemaOf(s: SchemaLike, io: "input" | "output"): JsonSchema {
  const named = nameOf(s);
  if (named) return { $ref: `#/components/schemas/${named.name}` };
  return isZod(s) ? fromZod(s, io) : s;
}

function queryParameters(query: OperationSpec["query"]): ParameterSpec[] {
  if (!query) return [];
  if (Array.isArray(query)) return query;
  const json = fromZod(query, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema as { description?: string } & JsonSchema;
    return {
      name,
      in: "query" as const,
      ...(json.required?.includes(name) && !("default" in rest) ? { required: true } : {}),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(op: OperationSpec): JsonSchema {
  const parameters = [...queryParameters(op.query), ...(op.headers ?? [])];
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content: Record<string, JsonSchema> = {};
    for (const [type, s] of Object.entries(r.content ?? (r.body ? { "application/json": r.body } : {})))
      content[type] = { schema: schemaOf(s, "output") };
    if (r.events) content["text/event-stream"] = { itemSchema: r.events };
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(Object.keys(content).length ? { content } : {}),
    };
  }
  for (const status of op.errors)
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? "Error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.bodyRequired ?? true,
            content: { "application/json": { schema: schemaOf(op.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

function pathItem(contract: RouteContract): JsonSchema {
  const params = [...contract.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: contract.params?.[name!] ?? { type: "string" },
  }));
  const item: JsonSchema = params.length ? { parameters: params } : {};
  for (const method of METHODS) {
    const op = contract.operations[method];
    if (op) item[method] = operation(op);
  }
  return item;
}

export function openApiDocument(contracts: readonly RouteContract[], serverUrl: string) {
  const paths: Record<string, JsonSchema> = {};
  for (const contract of contracts) {
    if (contract.internal) continue;
    for (const c of contract.documentedAs?.() ?? [contract]) paths[c.path] = pathItem(c);
  }
  for (const [alias, method, of, ofMethod] of ALIASES) {
    const target = paths[of]?.[ofMethod] as JsonSchema | undefined;
    if (target)
      paths[alias] = {
        [method]: { ...target, description: `Same as \`${ofMethod.toUpperCase()} ${of}\`.` },
      };
  }
  return {
    openapi: "3.2.0",
    info: {
      title: "SomaAgent API",
      version: "1.0.0",
      description:
        'Sessions, messages and live turn events. Authenticate with `Authorization: Bearer <token>` (or the browser session cookie). Errors are `{"error": {"code", "message", "details"?}}`; a method a path does not have is a 405 with an `Allow` header. Text must not contain NUL characters (they cannot be stored): a request with one is a 400 naming the field.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { cookie: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        cookie: { type: "apiKey", in: "cookie", name: "soma_session" },
      },
      schemas: Object.fromEntries(
        COMPONENTS.map((s) => {
          const { name, io } = nameOf(s)!;
          return [name, isZod(s) ? fromZod(s, io) : s];
        }),
      ),
    },
    paths,
  };
}
