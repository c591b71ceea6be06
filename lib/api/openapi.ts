// The OpenAPI 3.1 document of the public API, generated from the same zod schemas the handlers
// validate with (JSON Schema 2020-12, as OpenAPI 3.1 uses).
import { z } from "zod";
import * as s from "../sessions/schemas";
import { createTokenBody } from "../auth/token-service";
import { auditRowView } from "../audit/query";
import { connectionTestBody } from "../settings/connection-test";
import { updateUserBody, userList, userView } from "../users/schemas";
import { createMemoryBody, memoryPage, memoryView, updateMemoryBody } from "../memories/schemas";
import { ERROR_STATUS } from "../errors";
import { invokeBody } from "../tools/invoke-body";
import { schedulePaths, scheduleSchemas } from "../schedules/openapi";
import { maintenancePaths, maintenanceSchemas } from "../maintenance/openapi";

const schema = (t: z.ZodType, io: "input" | "output" = "output") => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(t, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
};

const errorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [String(c), { description: STATUS_TEXT[c] ?? "Error", content: json("Error") }]),
  );
const STATUS_TEXT: Record<number, string> = {
  400: "Invalid request (details name the field)",
  401: "Not authenticated",
  402: "Over the tenant's token budget (code budget_exceeded)",
  403: "Not allowed",
  404: "Not found (or not visible to the caller)",
  409: "Conflict (a turn is already running, or none is; the tenant's last admin)",
  413: "Body or message too large",
  415: "Body is not JSON",
  429: "Rate limited (Retry-After)",
  503: "A dependency is unavailable, maintenance mode is on (code maintenance), or this gateway is shutting down (code draining); Retry-After says when to retry",
};
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const sse = {
  "text/event-stream": {
    schema: {
      type: "string",
      description: "`id:` sequence number, `event:` type, `data:` the SessionEvent JSON",
    },
  },
};

/** The runtime document's names for some operations: the same operation at another path. */
const ALIASES: [alias: string, method: "get" | "post", of: string, ofMethod: "get" | "post" | "put"][] = [
  ["/settings_get", "get", "/api/v1/settings", "get"],
  ["/settings_set", "post", "/api/v1/settings", "put"],
  ["/realtime_session", "post", "/api/v1/realtime/session", "post"],
];

export function openApiDocument(serverUrl: string) {
  const doc = document(serverUrl);
  const paths = doc.paths as Record<string, Record<string, object>>;
  for (const [alias, method, of, ofMethod] of ALIASES)
    paths[alias] = {
      [method]: { ...paths[of]![ofMethod], description: `Same as \`${ofMethod.toUpperCase()} ${of}\`.` },
    };
  return doc;
}

function document(serverUrl: string) {
  const helpers = { schema, json, errors, idParam };
  return {
    openapi: "3.1.0",
    info: {
      title: "SomaAgent API",
      version: "1.0.0",
      description:
        'Sessions, messages and live turn events. Authenticate with `Authorization: Bearer <token>` (or the browser session cookie). Errors are `{"error": {"code", "message", "details"?}}`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { cookie: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        cookie: { type: "apiKey", in: "cookie", name: "soma_session" },
      },
      schemas: {
        Error: schema(errorBody),
        CreateSession: schema(s.createSessionBody, "input"),
        RenameSession: schema(s.renameSessionBody, "input"),
        PostMessage: schema(s.postMessageBody, "input"),
        CancelTurn: schema(s.cancelTurnBody, "input"),
        Session: schema(s.sessionSummary),
        SessionList: schema(s.sessionList),
        SessionDetail: schema(s.sessionDetail),
        MessageAccepted: schema(s.postMessageResult),
        ...scheduleSchemas(helpers),
        ...maintenanceSchemas(helpers),
        CreateToken: schema(createTokenBody, "input"),
        ShareSession: schema(s.shareSessionBody, "input"),
        Share: schema(s.shareView),
        AuditRow: schema(auditRowView),
        User: schema(userView),
        UserList: schema(userList),
        UpdateUser: schema(updateUserBody, "input"),
        ConnectionTest: schema(connectionTestBody, "input"),
        Memory: schema(memoryView),
        MemoryPage: schema(memoryPage),
        CreateMemory: schema(createMemoryBody, "input"),
        UpdateMemory: schema(updateMemoryBody, "input"),
        SettingsView: {
          type: "object",
          properties: {
            fields: {
              type: "object",
              description:
                'Keyed by dotted setting name (e.g. "models.chat.temperature"). Secret fields ("….apiKey") have `set` instead of `value`.',
              additionalProperties: {
                type: "object",
                properties: {
                  value: {},
                  set: { type: "boolean" },
                  source: {
                    type: ["string", "null"],
                    enum: ["env", "settings", "tenant", "providers", "offline", "default", null],
                  },
                  origin: { type: ["string", "null"] },
                  locked: { type: "boolean" },
                  lockedBy: { type: "string", description: "The environment variable that locks it" },
                },
                required: ["source", "origin", "locked"],
              },
            },
            providers: { type: "object", additionalProperties: { type: "object" } },
            file: { type: "string" },
          },
          required: ["fields", "providers", "file"],
        },
        ConnectionResult: {
          type: "object",
          properties: {
            ok: { type: "boolean" },
            latencyMs: { type: "integer" },
            target: { type: "string" },
            model: { type: "string" },
            baseUrl: { type: "string" },
            message: { type: "string" },
            code: {
              type: "string",
              enum: [
                "unreachable",
                "timeout",
                "unauthorized",
                "unknown_model",
                "rate_limited",
                "provider_error",
              ],
            },
          },
          required: ["ok", "latencyMs", "message"],
        },
        ModelStatus: {
          type: "object",
          required: ["configured", "provider", "model", "offline"],
          properties: {
            configured: { type: "boolean" },
            provider: { type: "string" },
            model: { type: "string" },
            offline: { type: "boolean", description: "Served by the offline provider" },
            reason: { type: "string", description: "Why it cannot be used, when not configured" },
          },
        },
        ModelsStatus: {
          type: "object",
          required: ["chat", "utility", "embedding", "stt", "tts", "voice"],
          properties: {
            chat: ref("ModelStatus"),
            utility: ref("ModelStatus"),
            embedding: ref("ModelStatus"),
            stt: ref("ModelStatus"),
            tts: ref("ModelStatus"),
            voice: {
              type: "object",
              required: ["usable", "offline"],
              properties: {
                usable: { type: "boolean" },
                offline: { type: "boolean" },
                reason: { type: "string" },
              },
            },
          },
        },
        Usage: {
          type: "object",
          description: "Token usage (prompt + completion) and cost in USD; periods are UTC.",
          properties: {
            period: { type: "object", properties: { day: { type: "string" }, month: { type: "string" } } },
            user: { $ref: "#/components/schemas/UsagePeriods" },
            tenant: { $ref: "#/components/schemas/UsagePeriods" },
            budget: {
              type: "object",
              properties: {
                tokensDaily: { oneOf: [ref("BudgetLine"), { type: "null" }] },
                tokensMonthly: { oneOf: [ref("BudgetLine"), { type: "null" }] },
              },
            },
            byUser: {
              type: "array",
              description: "Tenant admins only: this month per user",
              items: {
                type: "object",
                properties: {
                  userId: { type: ["string", "null"] },
                  email: { type: ["string", "null"] },
                  tokens: { type: "integer" },
                  costUsd: { type: "number" },
                },
              },
            },
          },
          required: ["period", "user", "tenant", "budget"],
        },
        UsagePeriods: {
          type: "object",
          properties: {
            day: { $ref: "#/components/schemas/UsageTotals" },
            month: { $ref: "#/components/schemas/UsageTotals" },
          },
        },
        UsageTotals: {
          type: "object",
          properties: { tokens: { type: "integer" }, costUsd: { type: "number" } },
        },
        BudgetLine: {
          type: "object",
          properties: {
            limit: { type: "integer" },
            used: { type: "integer" },
            remaining: { type: "integer" },
            resetsAt: { type: "string", format: "date-time" },
          },
        },
        Token: {
          type: "object",
          properties: {
            id: { type: "string", format: "uuid" },
            name: { type: "string" },
            prefix: { type: "string", description: "The first characters, to tell tokens apart" },
            createdAt: { type: "string", format: "date-time" },
            lastUsedAt: { type: ["string", "null"], format: "date-time" },
            expiresAt: { type: ["string", "null"], format: "date-time" },
            revokedAt: { type: ["string", "null"], format: "date-time" },
          },
          required: ["id", "name", "prefix", "createdAt", "lastUsedAt", "expiresAt", "revokedAt"],
        },
      },
    },
    paths: {
      "/api/v1/me": {
        get: {
          summary: "The authenticated caller",
          responses: {
            "200": {
              description: "Who is calling",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      userId: { type: "string" },
                      tenantId: { type: "string" },
                      email: { type: "string" },
                      role: { type: "string", enum: ["admin", "member"] },
                      via: { type: "string", enum: ["session", "token"] },
                    },
                  },
                },
              },
            },
            ...errors(401),
          },
        },
      },
      "/api/v1/tools": {
        get: {
          summary: "Every tool with its JSON-schema arguments",
          responses: {
            "200": {
              description: "The tools",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { items: { type: "array", items: { type: "object" } } },
                  },
                },
              },
            },
            ...errors(401),
          },
        },
      },
      "/api/v1/tools/{name}/invoke": {
        parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
        post: {
          summary: "Run one tool through the outbox, bus and executor, as the agent would",
          requestBody: {
            required: true,
            content: { "application/json": { schema: schema(invokeBody, "input") } },
          },
          responses: {
            "200": {
              description: "The tool call's outcome",
              content: { "application/json": { schema: { type: "object" } } },
            },
            ...errors(400, 401, 403, 404, 413, 429),
          },
        },
      },
      "/api/auth/login": {
        post: {
          summary: "Sign in with email and password: sets the browser session cookie",
          security: [],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["email", "password"],
                  properties: { email: { type: "string" }, password: { type: "string" } },
                },
              },
            },
          },
          responses: { "200": { description: "Signed in" }, ...errors(400, 401, 403, 429) },
        },
      },
      "/api/auth/logout": {
        post: {
          summary: "End the browser session and clear its cookie",
          responses: { "204": { description: "Signed out" } },
        },
      },
      "/api/auth/session": {
        get: {
          summary: "Who is signed in, or {user: null} (200 either way)",
          security: [],
          responses: { "200": { description: "The signed-in user, or null" } },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          security: [],
          responses: { "200": { description: "OpenAPI 3.1" } },
        },
      },
      "/api/v1/sessions": {
        get: {
          summary: "List the caller's sessions, newest activity first",
          parameters: [
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "A page", content: json("SessionList") },
            ...errors(400, 401, 503),
          },
        },
        post: {
          summary: "Create a session",
          requestBody: { required: false, content: json("CreateSession") },
          responses: {
            "201": { description: "Created", content: json("Session") },
            ...errors(400, 401, 403, 415, 503),
          },
        },
      },
      "/api/v1/sessions/{id}": {
        parameters: [idParam],
        get: {
          summary: "A session with its messages, tool calls and turns",
          responses: {
            "200": { description: "The session", content: json("SessionDetail") },
            ...errors(401, 404, 503),
          },
        },
        patch: {
          summary: "Rename a session",
          requestBody: { required: true, content: json("RenameSession") },
          responses: {
            "200": { description: "Renamed", content: json("Session") },
            ...errors(400, 401, 403, 404, 415),
          },
        },
        delete: {
          summary: "Delete a session",
          responses: { "204": { description: "Deleted" }, ...errors(401, 403, 404) },
        },
      },
      "/api/v1/sessions/{id}/messages": {
        parameters: [idParam],
        post: {
          summary: "Send a message; starts a turn",
          description:
            "With `Accept: text/event-stream` the response streams the turn's events and closes after turn.finished, turn.failed, turn.cancelled or turn.interrupted.",
          requestBody: { required: true, content: json("PostMessage") },
          responses: {
            "202": { description: "Accepted", content: json("MessageAccepted") },
            "200": { description: "The turn's events (when asked for SSE)", content: sse },
            ...errors(400, 401, 402, 403, 404, 409, 413, 415, 429, 503),
          },
        },
      },
      "/api/v1/sessions/{id}/events": {
        parameters: [idParam],
        get: {
          summary: "Follow a session's events (SSE); Last-Event-ID resumes",
          description:
            "The stream ends with `session.revoked` ({type, sessionId, reason}) when the session is unshared from the caller, or `auth.revoked` when the caller's token is revoked, they sign out, or an admin disables them or changes their role.",
          parameters: [{ name: "Last-Event-ID", in: "header", schema: { type: "integer" } }],
          responses: { "200": { description: "Event stream", content: sse }, ...errors(401, 404, 503) },
        },
      },
      "/api/v1/tokens": {
        get: {
          summary: "The caller's API tokens (never their secrets)",
          responses: {
            "200": {
              description: "Tokens",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { items: { type: "array", items: ref("Token") } } },
                },
              },
            },
            ...errors(401),
          },
        },
        post: {
          summary: "Create an API token; the secret is in this response only",
          requestBody: { required: true, content: json("CreateToken") },
          responses: {
            "201": {
              description: "Created",
              content: {
                "application/json": {
                  schema: {
                    allOf: [ref("Token"), { type: "object", properties: { token: { type: "string" } } }],
                  },
                },
              },
            },
            ...errors(400, 401, 415),
          },
        },
      },
      "/api/v1/tokens/{id}": {
        parameters: [idParam],
        delete: {
          summary: "Revoke a token (at once, everywhere)",
          responses: { "204": { description: "Revoked" }, ...errors(401, 404) },
        },
      },
      "/api/v1/memories": {
        get: {
          summary: "The caller's memories and the tenant's shared ones: newest first, or ranked by query",
          description:
            "With `query`, ranked by words, and by meaning too when an embedding model is configured (`mode: hybrid`; weight `memory.hybridWeight`). Another member's private memories are never listed. `nextCursor` continues the same listing.",
          parameters: [
            { name: "query", in: "query", schema: { type: "string", maxLength: 1000 } },
            { name: "cursor", in: "query", schema: { type: "string" } },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 25 },
            },
            { name: "area", in: "query", schema: { type: "string" } },
            { name: "scope", in: "query", schema: { type: "string", enum: ["user", "tenant"] } },
          ],
          responses: { "200": { description: "A page", content: json("MemoryPage") }, ...errors(400, 401) },
        },
        post: {
          summary: 'Save a memory: the caller\'s own, or shared with the tenant (scope "tenant")',
          requestBody: { required: true, content: json("CreateMemory") },
          responses: {
            "201": { description: "Saved", content: json("Memory") },
            ...errors(400, 401, 413, 415),
          },
        },
      },
      "/api/v1/memories/{id}": {
        parameters: [idParam],
        get: {
          summary: "One memory",
          responses: { "200": { description: "The memory", content: json("Memory") }, ...errors(401, 404) },
        },
        patch: {
          summary: "Edit a memory's words, area or scope",
          description:
            "Your own memories; a tenant-shared one only its author or a tenant admin (403). New words are embedded again.",
          requestBody: { required: true, content: json("UpdateMemory") },
          responses: {
            "200": { description: "Updated", content: json("Memory") },
            ...errors(400, 401, 403, 404, 415),
          },
        },
        delete: {
          summary: "Delete a memory (same permission as editing)",
          responses: { "204": { description: "Deleted" }, ...errors(401, 403, 404) },
        },
      },
      "/api/v1/sessions/{id}/share": {
        parameters: [idParam],
        post: {
          summary: "Share a session with another user of the tenant as viewer (owner only)",
          description: "A viewer can read the session and follow its events but not post or change it (403).",
          requestBody: { required: true, content: json("ShareSession") },
          responses: {
            "200": { description: "Shared", content: json("Share") },
            ...errors(400, 401, 403, 404),
          },
        },
        get: {
          summary: "Who the session is shared with (owner only)",
          responses: {
            "200": {
              description: "Viewers",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      items: {
                        type: "array",
                        items: {
                          type: "object",
                          properties: {
                            userId: { type: "string", format: "uuid" },
                            email: { type: "string" },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            ...errors(401, 403, 404),
          },
        },
      },
      "/api/v1/sessions/{id}/share/{userId}": {
        parameters: [
          idParam,
          { name: "userId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
        ],
        delete: {
          summary: "Stop sharing the session with a user (at once)",
          responses: { "204": { description: "No longer shared" }, ...errors(401, 403, 404) },
        },
      },
      "/api/v1/models": {
        get: {
          summary: "The models and speech services in use, and whether each can be used",
          description:
            "`voice.usable` is false when speech to text or text to speech has no usable provider (`reason` says which and what to do); `offline` marks the offline engines.",
          responses: {
            "200": { description: "Model status", content: json("ModelsStatus") },
            ...errors(401, 503),
          },
        },
      },
      "/api/v1/usage": {
        get: {
          summary: "Token usage of the caller and the tenant, and the budget left",
          responses: { "200": { description: "Usage", content: json("Usage") }, ...errors(401, 503) },
        },
      },
      "/api/v1/audit": {
        get: {
          summary: "The tenant's audit log, newest first (tenant admins)",
          description:
            "With `format=ndjson` (or `Accept: application/x-ndjson`) every matching row is exported as NDJSON.",
          parameters: [
            ...["action", "resource", "since", "until", "cursor"].map((name) => ({
              name,
              in: "query",
              schema: { type: "string" },
            })),
            {
              name: "outcome",
              in: "query",
              schema: { type: "string", enum: ["success", "denied", "failure"] },
            },
            { name: "actorId", in: "query", schema: { type: "string", format: "uuid" } },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            },
            { name: "format", in: "query", schema: { type: "string", enum: ["json", "ndjson"] } },
          ],
          responses: {
            "200": {
              description: "A page of rows, or the NDJSON export",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      items: { type: "array", items: ref("AuditRow") },
                      nextCursor: { type: ["string", "null"] },
                    },
                  },
                },
                "application/x-ndjson": { schema: { type: "string" } },
              },
            },
            ...errors(400, 401, 403),
          },
        },
      },
      "/api/v1/admin/users": {
        get: {
          summary: "The members of the caller's tenant, with role and disabled state (tenant admins)",
          parameters: [
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 500, default: 100 },
            },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "A page, by email", content: json("UserList") },
            ...errors(400, 401, 403),
          },
        },
      },
      "/api/v1/admin/users/{id}": {
        parameters: [idParam],
        patch: {
          summary: "Disable or enable a user of the tenant, or change their role (tenant admins)",
          description:
            "Ends what the user has open within a second: their sockets get `auth.revoked` with the reason and close, their SSE streams end with `auth.revoked`, their web sessions end (the next request is a 401). Their API tokens stop working while they are disabled. 409 for disabling yourself or leaving the tenant without an enabled admin; 404 for an unknown id or another tenant's user.",
          requestBody: { required: true, content: json("UpdateUser") },
          responses: {
            "200": { description: "The user as changed", content: json("User") },
            ...errors(400, 401, 403, 404, 409, 415, 503),
          },
        },
      },
      "/api/v1/settings": {
        get: {
          summary: "Effective settings (models, speech, agent), each with its source and lock",
          description: "Also at `GET /settings_get`.",
          responses: { "200": { description: "Settings", content: json("SettingsView") }, ...errors(401) },
        },
        put: {
          summary: "Change settings (partial; tenant admins of the deployment's tenant)",
          description:
            'A nested JSON object of the settings to change, e.g. `{"models":{"chat":{"temperature":0.3}}}`; API keys as `….apiKey` (null removes). Stored as the next version of the shared settings and applied on every process. Also at `POST /settings_set`.',
          requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
          responses: {
            "200": { description: "The new settings", content: json("SettingsView") },
            ...errors(400, 401, 403, 409, 413, 415),
          },
        },
      },
      "/api/v1/settings/test": {
        post: {
          summary: "Test connection: one minimal real request with the values entered",
          requestBody: { required: true, content: json("ConnectionTest") },
          responses: {
            "200": { description: "The result, success or not", content: json("ConnectionResult") },
            ...errors(400, 401, 403),
          },
        },
      },
      "/api/v1/speech/sample": {
        post: {
          summary: "A short sample of a text-to-speech voice (saved speech settings)",
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { voice: { type: "string" }, text: { type: "string" } },
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Audio",
              content: { "audio/wav": { schema: { type: "string", format: "binary" } } },
            },
            ...errors(400, 401, 503),
          },
        },
      },
      "/api/v1/realtime/session": {
        post: {
          summary:
            "Start a realtime call directly (speech.realtime.allowDirect): a client secret without tools",
          description:
            "Also at `POST /realtime_session`. The same checks as a call over `/voice`; reserves the call's longest length of voice minutes. Post the offer to `callsUrl` with the secret, then attach within `attachWithinSeconds`. 404 while direct starts are off; 409 while the person has another call.",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["sessionId"],
                  properties: {
                    sessionId: { type: "string", format: "uuid" },
                    input: { type: "string", enum: ["push-to-talk", "hands-free"] },
                  },
                },
              },
            },
          },
          responses: {
            "201": {
              description: "Started; attach within attachWithinSeconds",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      callId: { type: "string", format: "uuid" },
                      clientSecret: { type: "string" },
                      expiresAt: { type: "integer", description: "Unix seconds" },
                      model: { type: "string" },
                      callsUrl: { type: "string" },
                      attachWithinSeconds: { type: "integer" },
                      maxSeconds: { type: "integer" },
                    },
                  },
                },
              },
            },
            ...errors(400, 401, 402, 403, 404, 409, 429, 503),
          },
        },
      },
      "/api/v1/realtime/calls/{callId}/attach": {
        parameters: [
          { name: "callId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
        ],
        post: {
          summary: "Hand a directly started call to the gateway (sideband, tools, turns, usage)",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["providerCallId"],
                  properties: { providerCallId: { type: "string" } },
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Attached",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { callId: { type: "string" }, maxSeconds: { type: "integer" } },
                  },
                },
              },
            },
            ...errors(400, 401, 404, 409, 503),
          },
        },
      },
      "/api/v1/sessions/{id}/cancel": {
        parameters: [idParam],
        post: {
          summary: "Stop the running turn",
          requestBody: { required: false, content: json("CancelTurn") },
          responses: {
            "202": {
              description: "Stopping",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { turnId: { type: "string" } } },
                },
              },
            },
            ...errors(401, 403, 404, 409),
          },
        },
      },
      ...schedulePaths(helpers),
      ...maintenancePaths(helpers),
    },
  };
}
