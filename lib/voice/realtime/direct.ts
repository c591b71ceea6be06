// A direct realtime start (speech.realtime.allowDirect): the browser posts its offer to the provider
// itself, with a client secret the gateway mints for it. That secret's session has no tools; the call
// becomes the gateway's when the page attaches it (within ATTACH_WINDOW_MS): the gateway opens the
// sideband with its own key, adds the tools and from then on owns the call as in a relayed start
// (turns, tools through the executor, usage, the session guard, the time limit).
//   start  → the checks of any call, one call per person, voice time reserved, secret minted
//   attach → the sideband opened, the tools added, the reservation held for the call's length
//   no attach in time → the reservation and the slot released, the call ended as not_attached; a late
//   attach is refused and the provider call it names is hung up.
import { randomUUID } from "node:crypto";
import type { Principal } from "../../auth/principal";
import { getConfig } from "../../config";
import { AppError } from "../../errors";
import { redis } from "../../server/redis";
import { logger } from "../../server/logger";
import { singleton } from "../../singleton";
import { sessionFor } from "../../sessions/service";
import { admitCall, claimCallSlot, recordCallEnd, recordCallStart } from "../call-admission";
import { releaseVoice, reserveVoice } from "../reservations";
import { SpeechError } from "../speech-client";
import { RealtimeCall } from "./call";
import { hangupRealtimeCall, mintClientSecret } from "./provider";
import { realtimeSession, type InputMode } from "./session";

const ATTACH_WINDOW_MS = 10_000;
/** A minted call waiting for its attach; per user, so nobody else's attach can even find it. */
const pendingKey = (userId: string, callId: string) => `realtime:direct:${userId}:${callId}`;
/** A call whose attach window closed (a late attach's provider call is hung up). */
const lateKey = (userId: string, callId: string) => `realtime:direct:late:${userId}:${callId}`;
const providerKey = (providerCallId: string) => `realtime:provider:${providerCallId}`;

interface Pending {
  userId: string;
  tenantId: string;
  sessionId: string;
  input: InputMode;
  maxSeconds: number;
  /** The budget, not the call limit, bounds this call. */
  budgetBound: boolean;
  /** Epoch ms: an attach after this is refused. */
  attachBy: number;
}

export interface DirectStart {
  callId: string;
  /** The provider's client secret (`ek_…`), for the browser's POST of its offer. */
  clientSecret: string;
  /** Unix seconds. */
  expiresAt: number;
  model: string;
  /** Where the browser posts its offer (with the client secret). */
  callsUrl: string;
  attachWithinSeconds: number;
  maxSeconds: number;
}

/** Direct calls this process holds (shared by the custom server and the route bundle). */
function held(): Map<string, (reason: string) => Promise<void>> {
  return singleton("realtime-direct-calls", () => new Map<string, (reason: string) => Promise<void>>());
}

export function directCallIds(): string[] {
  return [...held().keys()];
}

/** Ends a direct call held here (taken over elsewhere, shutdown); false when it is not here. */
export async function endDirectCall(callId: string, reason: string): Promise<boolean> {
  const end = held().get(callId);
  if (!end) return false;
  await end(reason);
  return true;
}

export async function startDirect(
  principal: Principal,
  opts: { sessionId: string; input?: InputMode },
): Promise<DirectStart> {
  const { speech } = getConfig().settings;
  if (!speech.realtime.allowDirect)
    throw new AppError(
      "not_found",
      "Direct realtime starts are off on this server (speech.realtime.allowDirect); start the call over /voice.",
    );
  const { allowance, callLimit, maxSeconds } = await admitCall(principal, opts.sessionId, "realtime");
  const callId = randomUUID();
  const input = opts.input ?? speech.input;
  await claimCallSlot(principal, callId, callLimit.seconds, false);
  await reserveVoice(redis(), principal.tenantId, callId, maxSeconds, Date.now() + ATTACH_WINDOW_MS + 5_000);
  let secret: { value: string; expiresAt: number };
  try {
    secret = await mintClientSecret(
      realtimeSession(input, { tools: false }),
      speech.realtime.clientSecretTtlSeconds,
    );
  } catch (err) {
    await releaseVoice(redis(), principal.tenantId, callId, maxSeconds);
    await recordCallStart(principal, callId, opts.sessionId);
    await recordCallEnd({
      principal,
      callId,
      sessionId: opts.sessionId,
      mode: "realtime",
      reason: "failed",
      audioSeconds: 0,
    });
    const message = err instanceof SpeechError ? err.message : "The realtime voice could not start.";
    throw new AppError("unavailable", `${message} Cascaded voice may still work.`, {
      details: { fallback: "cascaded" },
      cause: err,
    });
  }
  await recordCallStart(principal, callId, opts.sessionId);
  const pending: Pending = {
    userId: principal.userId,
    tenantId: principal.tenantId,
    sessionId: opts.sessionId,
    input,
    maxSeconds,
    budgetBound: allowance.seconds <= callLimit.seconds,
    attachBy: Date.now() + ATTACH_WINDOW_MS,
  };
  // Kept past the window so that a late attach, even after this gateway died, finds and ends it.
  await redis().set(pendingKey(principal.userId, callId), JSON.stringify(pending), "EX", 120);
  setTimeout(() => void expireUnattached(principal, callId), ATTACH_WINDOW_MS + 250).unref();
  const { baseUrl, model } = speech.realtime;
  return {
    callId,
    clientSecret: secret.value,
    expiresAt: secret.expiresAt,
    model,
    callsUrl: `${baseUrl.replace(/\/+$/, "")}/realtime/calls`,
    attachWithinSeconds: ATTACH_WINDOW_MS / 1000,
    maxSeconds,
  };
}

/** Takes the pending call (attach or expiry, whichever comes first: the other finds nothing). */
async function takePending(userId: string, callId: string): Promise<Pending | null> {
  const raw = await redis().getdel(pendingKey(userId, callId));
  return raw ? (JSON.parse(raw) as Pending) : null;
}

/** The call's attach window closed: its reservation and slot go, and the call ends as not_attached. */
async function endUnattached(principal: Principal, callId: string, p: Pending): Promise<void> {
  await redis().set(lateKey(principal.userId, callId), "1", "EX", 300);
  await releaseVoice(redis(), p.tenantId, callId, p.maxSeconds);
  await recordCallEnd({
    principal,
    callId,
    sessionId: p.sessionId,
    mode: "realtime",
    reason: "not_attached",
    audioSeconds: 0,
  });
  logger().info({ callId }, "direct realtime call not attached in time: ended");
}

async function expireUnattached(principal: Principal, callId: string): Promise<void> {
  try {
    const p = await takePending(principal.userId, callId);
    if (p) await endUnattached(principal, callId, p);
  } catch (err) {
    logger().warn({ err, callId }, "unattached direct realtime call not cleaned up");
  }
}

/**
 * The page's provider call becomes the gateway's: 404 for a call that is unknown, someone else's or
 * past its window (whose provider call is then hung up), 409 for a provider call attached already.
 */
export async function attachDirect(
  principal: Principal,
  callId: string,
  providerCallId: string,
): Promise<{ callId: string; maxSeconds: number }> {
  const notFound = () =>
    new AppError("not_found", "No call waits to be attached with that id (attach within 10 s of the start).");
  const p = await takePending(principal.userId, callId);
  if (!p) {
    if (await redis().exists(lateKey(principal.userId, callId))) await hangupRealtimeCall(providerCallId);
    throw notFound();
  }
  if (Date.now() > p.attachBy) {
    await endUnattached(principal, callId, p);
    await hangupRealtimeCall(providerCallId);
    throw notFound();
  }
  if ((await redis().set(providerKey(providerCallId), callId, "EX", p.maxSeconds + 120, "NX")) !== "OK") {
    await endUnattached(principal, callId, p);
    throw new AppError("conflict", "That provider call is attached to another call already.");
  }
  // The reservation now covers the call's whole length; it goes when the call's usage is written.
  await reserveVoice(redis(), p.tenantId, callId, p.maxSeconds, Date.now() + (p.maxSeconds + 60) * 1000);
  const log = logger().child({ callId, providerCallId, userId: principal.userId });
  const startedAt = Date.now();
  const timers: NodeJS.Timeout[] = [];
  let ended = false;
  // eslint-disable-next-line prefer-const -- assigned once the call exists, used by end()
  let rt: RealtimeCall | undefined;
  const end = async (reason: string): Promise<void> => {
    if (ended) return;
    ended = true;
    for (const t of timers) clearTimeout(t);
    held().delete(callId);
    await rt?.close().catch((err: unknown) => log.warn({ err }, "realtime call did not close"));
    await releaseVoice(redis(), p.tenantId, callId, p.maxSeconds).catch(() => undefined);
    const audioSeconds = (Date.now() - startedAt) / 1000;
    await recordCallEnd({
      principal,
      callId,
      sessionId: p.sessionId,
      mode: "realtime",
      reason,
      audioSeconds,
    }).catch((err: unknown) => log.error({ err }, "voice call could not be recorded"));
    log.info({ reason, audioSeconds }, "direct realtime call ended");
  };
  held().set(callId, end);
  rt = new RealtimeCall({
    callId,
    providerCallId,
    principal,
    session: await sessionFor(principal, p.sessionId, "write"),
    log,
    input: p.input,
    realtimeSession: realtimeSession(p.input),
    sendSession: true,
    // The page hears the provider itself; what the gateway would tell it is only logged.
    events: {
      state: () => undefined,
      caption: () => undefined,
      problem: (code, message) => log.warn({ code, message }, "realtime call problem"),
    },
    onLost: () => void end("realtime_lost"),
  });
  try {
    await rt.start();
  } catch (err) {
    await end("failed");
    const message = err instanceof SpeechError ? err.message : "The realtime voice could not start.";
    throw new AppError("unavailable", message, { details: { fallback: "cascaded" }, cause: err });
  }
  timers.push(setTimeout(() => void end(p.budgetBound ? "budget" : "max_duration"), p.maxSeconds * 1000));
  return { callId, maxSeconds: p.maxSeconds };
}
