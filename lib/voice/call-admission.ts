// What every voice call goes through, however it starts (the `/voice` socket, or a direct realtime
// start over HTTP): the checks a message gets plus the voice ones, one call per person at a time,
// and the call's row and usage when it ends.
import type { Principal } from "../auth/principal";
import { AppError } from "../errors";
import { getConfig } from "../config";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { sessionFor } from "../sessions/service";
import { enforceRateLimit } from "../ratelimit/policy";
import { tenantConfig } from "../tenancy/tenant-config";
import { admitVoiceStart } from "../policy/admission";
import { RELEASE_IF_HELD } from "../agent/turns";
import { refuseDuringMaintenance } from "../maintenance/state";
import { refuseWhileDraining } from "../server/draining";
import { callLost, forgetCall, renewCall } from "./call-liveness";
import { voiceAllowance, refuseWhenSpent, type VoiceAllowance } from "./minutes";
import { voiceMetrics } from "./metrics";
import { speechStatus } from "./speech-client";
import type { VoiceMode } from "./signalling";

const ACTIVE_KEY = (userId: string) => `voice:active:${userId}`;
/** Published with a call id: the gateway holding that call ends it (taken over elsewhere). */
export const END_CHANNEL = "voice:end";

/** How long one call may last: speech.maxCallSeconds when set, else speech.maxCallMinutes. */
export function callLimitOf(speech: { maxCallMinutes: number; maxCallSeconds: number }) {
  if (speech.maxCallSeconds > 0)
    return { seconds: speech.maxCallSeconds, label: `${speech.maxCallSeconds} seconds` };
  const m = speech.maxCallMinutes;
  return { seconds: m * 60, label: m === 1 ? "1 minute" : `${m} minutes` };
}

export interface Admitted {
  allowance: VoiceAllowance;
  callLimit: { seconds: number; label: string };
  /** Seconds this call may last: the budget left today and the call limit. */
  maxSeconds: number;
}

/**
 * A call may start: OpenFGA can_write on the session, not in maintenance nor on a gateway shutting
 * down (503), OPA `voice.start` with the model, the speech services configured, voice minutes left
 * (402) and the voiceSessions rate limit (429).
 */
export async function admitCall(principal: Principal, sessionId: string, mode: VoiceMode): Promise<Admitted> {
  refuseWhileDraining("call");
  await sessionFor(principal, sessionId, "write");
  await refuseDuringMaintenance(redis());
  const conf = await tenantConfig(db(), redis(), principal.tenantId);
  const { settings } = getConfig();
  await admitVoiceStart({
    principal,
    conf,
    model: mode === "realtime" ? settings.speech.realtime.model : settings.models.chat.name,
  });
  for (const role of mode === "realtime" ? (["realtime"] as const) : (["stt", "tts"] as const)) {
    const status = speechStatus(role);
    if (!status.configured) throw new AppError("unavailable", status.reason ?? "Voice is not configured.");
  }
  const allowance = await voiceAllowance(db(), redis(), principal.tenantId, conf?.budgets);
  refuseWhenSpent(allowance, conf?.budgets?.voiceMinutesDaily);
  await enforceRateLimit(principal, "voiceSessions");
  const callLimit = callLimitOf(settings.speech);
  return { allowance, callLimit, maxSeconds: Math.floor(Math.min(allowance.seconds, callLimit.seconds)) };
}

/**
 * One call per person: claims the slot for `callId`, or 409 while another call holds it (a call
 * whose gateway was killed does not count); `takeOver` ends the other call wherever it runs.
 */
export async function claimCallSlot(
  principal: Principal,
  callId: string,
  limitSeconds: number,
  takeOver: boolean,
): Promise<void> {
  const activeKey = ACTIVE_KEY(principal.userId);
  const ttl = limitSeconds + 60; // the slot outlives the longest call
  if ((await redis().set(activeKey, callId, "EX", ttl, "NX")) === "OK") return;
  const other = await redis().get(activeKey);
  const startedMsAgo = (ttl - (await redis().ttl(activeKey))) * 1000;
  const lost = other !== null && (await callLost(redis(), other, startedMsAgo));
  if (!takeOver && !lost)
    throw new AppError("conflict", "A call is active in another tab. Take it over to continue here.", {
      details: { reason: "active_elsewhere" },
    });
  if (other) await redis().publish(END_CHANNEL, other);
  await redis().set(activeKey, callId, "EX", ttl);
}

/** The call's row (and its first liveness mark) as it starts. */
export async function recordCallStart(
  principal: Principal,
  callId: string,
  sessionId: string,
): Promise<void> {
  await db().voiceCall.create({
    data: { id: callId, tenantId: principal.tenantId, userId: principal.userId, sessionId },
    select: { id: true },
  });
  await renewCall(redis(), callId);
  voiceMetrics().callStarted();
}

/** The call is over: its length on its row and as usage, its slot and liveness mark released. */
export async function recordCallEnd(opts: {
  principal: Principal;
  callId: string;
  sessionId: string;
  mode: VoiceMode;
  reason: string;
  audioSeconds: number;
}): Promise<void> {
  const { principal, callId, sessionId, audioSeconds } = opts;
  try {
    await db().$transaction([
      db().voiceCall.update({
        where: { id: callId },
        data: { endedAt: new Date(), endReason: opts.reason, audioSeconds },
        select: { id: true },
      }),
      db().usageRecord.create({
        data: {
          tenantId: principal.tenantId,
          userId: principal.userId,
          sessionId,
          model: "voice-call",
          audioSeconds,
        },
        select: { id: true },
      }),
    ]);
  } finally {
    await redis()
      .eval(RELEASE_IF_HELD, 1, ACTIVE_KEY(principal.userId), callId)
      .catch(() => undefined);
    await forgetCall(redis(), callId).catch(() => undefined);
    voiceMetrics().callEnded(opts.reason, opts.mode, audioSeconds);
  }
}
