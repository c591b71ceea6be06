// Every API route's contract, registered once: the OpenAPI document and the gateway's method check
// (405 with Allow) are generated from this list. A test walks app/api/**/route.ts and fails on any
// route without a sibling schema.ts registered here, or whose methods differ from its contract's.
import type { RouteContract } from "@/lib/api/contract";
import { contract as asyncapiJson } from "./asyncapi.json/schema";
import { contract as authLogin } from "./auth/login/schema";
import { contract as authLogout } from "./auth/logout/schema";
import { contract as authSession } from "./auth/session/schema";
import { contract as internalToolResults } from "./internal/tool-results/schema";
import { contract as openapiJson } from "./openapi.json/schema";
import { contract as adminMaintenance } from "./v1/admin/maintenance/schema";
import { contract as adminUsersId } from "./v1/admin/users/[id]/schema";
import { contract as adminUsers } from "./v1/admin/users/schema";
import { contract as audit } from "./v1/audit/schema";
import { contract as me } from "./v1/me/schema";
import { contract as memoriesId } from "./v1/memories/[id]/schema";
import { contract as memories } from "./v1/memories/schema";
import { contract as models } from "./v1/models/schema";
import { contract as realtimeCallsCallIdAttach } from "./v1/realtime/calls/[callId]/attach/schema";
import { contract as realtimeSession } from "./v1/realtime/session/schema";
import { contract as schedulesIdRun } from "./v1/schedules/[id]/run/schema";
import { contract as schedulesIdRuns } from "./v1/schedules/[id]/runs/schema";
import { contract as schedulesId } from "./v1/schedules/[id]/schema";
import { contract as schedules } from "./v1/schedules/schema";
import { contract as sessionsIdCancel } from "./v1/sessions/[id]/cancel/schema";
import { contract as sessionsIdEvents } from "./v1/sessions/[id]/events/schema";
import { contract as sessionsIdMessages } from "./v1/sessions/[id]/messages/schema";
import { contract as sessionsId } from "./v1/sessions/[id]/schema";
import { contract as sessionsIdShareUserId } from "./v1/sessions/[id]/share/[userId]/schema";
import { contract as sessionsIdShare } from "./v1/sessions/[id]/share/schema";
import { contract as sessions } from "./v1/sessions/schema";
import { contract as settings } from "./v1/settings/schema";
import { contract as settingsTest } from "./v1/settings/test/schema";
import { contract as speechSample } from "./v1/speech/sample/schema";
import { contract as tokensId } from "./v1/tokens/[id]/schema";
import { contract as tokens } from "./v1/tokens/schema";
import { contract as toolsNameInvoke } from "./v1/tools/[name]/invoke/schema";
import { contract as tools } from "./v1/tools/schema";
import { contract as usage } from "./v1/usage/schema";

export const CONTRACTS: readonly RouteContract[] = [
  asyncapiJson,
  authLogin,
  authLogout,
  authSession,
  internalToolResults,
  openapiJson,
  adminMaintenance,
  adminUsersId,
  adminUsers,
  audit,
  me,
  memoriesId,
  memories,
  models,
  realtimeCallsCallIdAttach,
  realtimeSession,
  schedulesIdRun,
  schedulesIdRuns,
  schedulesId,
  schedules,
  sessionsIdCancel,
  sessionsIdEvents,
  sessionsIdMessages,
  sessionsId,
  sessionsIdShareUserId,
  sessionsIdShare,
  sessions,
  settings,
  settingsTest,
  speechSample,
  tokensId,
  tokens,
  toolsNameInvoke,
  tools,
  usage,
];
