// The named shapes of the API: each is listed once under the document's components and referred to
// by `$ref` wherever a route contract uses it. Request bodies are described as accepted (`input`).
import { z } from "zod";
import { createTokenBody } from "../auth/token-service";
import { auditRowView } from "../audit/query";
import { ERROR_STATUS } from "../errors";
import { createMemoryBody, memoryPage, memoryView, updateMemoryBody } from "../memories/schemas";
import * as sch from "../schedules/schemas";
import * as s from "../sessions/schemas";
import { connectionTestBody } from "../settings/connection-test";
import { revokedEvent, sessionEvent } from "../realtime/event-schemas";
import { maintenanceView, startMaintenanceBody } from "../maintenance/schemas";
import { updateUserBody, userList, userView } from "../users/schemas";
import { named, type JsonSchema, type SchemaLike } from "./contract";

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

export const ErrorBody = named(
  "Error",
  z.object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  }),
);

export const CreateSession = named("CreateSession", s.createSessionBody, "input");
export const RenameSession = named("RenameSession", s.renameSessionBody, "input");
export const PostMessage = named("PostMessage", s.postMessageBody, "input");
export const CancelTurn = named("CancelTurn", s.cancelTurnBody, "input");
export const Session = named("Session", s.sessionSummary);
export const SessionList = named("SessionList", s.sessionList);
export const SessionDetail = named("SessionDetail", s.sessionDetail);
export const MessageAccepted = named("MessageAccepted", s.postMessageResult);
export const ShareSession = named("ShareSession", s.shareSessionBody, "input");
export const Share = named("Share", s.shareView);

export const CreateSchedule = named("CreateSchedule", sch.createScheduleBody, "input");
export const UpdateSchedule = named("UpdateSchedule", sch.updateScheduleBody, "input");
export const Schedule = named("Schedule", sch.scheduleView);
export const ScheduleList = named("ScheduleList", z.object({ items: z.array(sch.scheduleView) }));
export const ScheduleRun = named("ScheduleRun", sch.scheduleRunView);
export const ScheduleRunList = named("ScheduleRunList", z.object({ items: z.array(sch.scheduleRunView) }));

export const CreateToken = named("CreateToken", createTokenBody, "input");
export const AuditRow = named("AuditRow", auditRowView);
export const User = named("User", userView);
export const UserList = named("UserList", userList);
export const UpdateUser = named("UpdateUser", updateUserBody, "input");
export const ConnectionTest = named("ConnectionTest", connectionTestBody, "input");
export const Memory = named("Memory", memoryView);
export const MemoryPage = named("MemoryPage", memoryPage);
export const CreateMemory = named("CreateMemory", createMemoryBody, "input");
export const UpdateMemory = named("UpdateMemory", updateMemoryBody, "input");

export const SettingsView = named("SettingsView", {
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
});

export const ConnectionResult = named("ConnectionResult", {
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
      enum: ["unreachable", "timeout", "unauthorized", "unknown_model", "rate_limited", "provider_error"],
    },
  },
  required: ["ok", "latencyMs", "message"],
});

export const ModelStatus = named("ModelStatus", {
  type: "object",
  required: ["configured", "provider", "model", "offline"],
  properties: {
    configured: { type: "boolean" },
    provider: { type: "string" },
    model: { type: "string" },
    offline: { type: "boolean", description: "Served by the offline provider" },
    reason: { type: "string", description: "Why it cannot be used, when not configured" },
  },
});

export const ModelsStatus = named("ModelsStatus", {
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
});

export const Usage = named("Usage", {
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
});

export const UsagePeriods = named("UsagePeriods", {
  type: "object",
  properties: {
    day: { $ref: "#/components/schemas/UsageTotals" },
    month: { $ref: "#/components/schemas/UsageTotals" },
  },
});

export const UsageTotals = named("UsageTotals", {
  type: "object",
  properties: { tokens: { type: "integer" }, costUsd: { type: "number" } },
});

export const BudgetLine = named("BudgetLine", {
  type: "object",
  properties: {
    limit: { type: "integer" },
    used: { type: "integer" },
    remaining: { type: "integer" },
    resetsAt: { type: "string", format: "date-time" },
  },
});

export const Token = named("Token", {
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
});

export const StartMaintenance = named("StartMaintenance", startMaintenanceBody, "input");
export const Maintenance = named("Maintenance", maintenanceView);
export const SessionEvent = named("SessionEvent", sessionEvent);
export const RevokedEvent = named("RevokedEvent", revokedEvent);

/** Every named shape, in the order the document lists them. */
export const COMPONENTS: SchemaLike[] = [
  ErrorBody,
  CreateSession,
  RenameSession,
  PostMessage,
  CancelTurn,
  Session,
  SessionList,
  SessionDetail,
  MessageAccepted,
  ShareSession,
  Share,
  CreateSchedule,
  UpdateSchedule,
  Schedule,
  ScheduleList,
  ScheduleRun,
  ScheduleRunList,
  CreateToken,
  AuditRow,
  User,
  UserList,
  UpdateUser,
  ConnectionTest,
  Memory,
  MemoryPage,
  CreateMemory,
  UpdateMemory,
  SettingsView,
  ConnectionResult,
  ModelStatus,
  ModelsStatus,
  Usage,
  UsagePeriods,
  UsageTotals,
  BudgetLine,
  Token,
  SessionEvent,
  RevokedEvent,
  StartMaintenance,
  Maintenance,
];
