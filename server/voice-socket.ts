// socket.io `/voice`: starts, connects and ends voice calls. A start is checked like a message
// (OpenFGA can_write, OPA `voice.start`, the voiceSessions rate limit, the daily voice minutes); one
// call per user at a time (a second tab may take it over); the media runs on a WebRTC peer here.
import type { Namespace, Socket } from "socket.io";
import type { Logger } from "pino";
import type { Principal } from "../lib/auth/principal";
import { AppError } from "../lib/errors";
import { actorOf, writeAudit } from "../lib/audit/log";
import { socketHandler } from "./socket-handler";
import { getConfig } from "../lib/config";
import { db } from "../lib/server/db";
import { redis } from "../lib/server/redis";
import { sessionFor } from "../lib/sessions/service";
import { channelHub } from "../lib/realtime/channel-hub";
import { VoiceCallPipeline, type CallEvents } from "../lib/voice/call";
import { voiceMetrics } from "../lib/voice/metrics";
import { SpeechError, speechStatus } from "../lib/voice/speech-client";
import { webrtcOptions } from "../lib/voice/webrtc-options";
import { renewCall, RENEW_MS, sweepLostCalls } from "../lib/voice/call-liveness";
import {
  admitCall,
  claimCallSlot,
  END_CHANNEL,
  recordCallEnd,
  recordCallStart,
} from "../lib/voice/call-admission";
import { WeriftPeer } from "../lib/voice/werift-peer";
import { RealtimeCall } from "../lib/voice/realtime/call";
import { createRealtimeCall, type RealtimeCallCreated } from "../lib/voice/realtime/provider";
import { realtimeSession } from "../lib/voice/realtime/session";
import { directCallIds, endDirectCall } from "../lib/voice/realtime/direct";
import { warmUpVad } from "../lib/voice/vad";
import { SocketPeer } from "../lib/voice/socket-peer";
import type { MediaPeer } from "../lib/voice/media-peer";
import {
  audioPayload,
  hangupPayload,
  inputPayload,
  offerPayload,
  playedPayload,
  pttPayload,
  startPayload,
  type StartReply,
  type VoiceMode,
  type VoiceClientEvents,
  type VoiceServerEvents,
} from "../lib/voice/signalling";

type VoiceSocket = Socket<
  VoiceClientEvents,
  VoiceServerEvents,
  Record<string, never>,
  { principal: Principal }
>;
export type VoiceNamespace = Namespace<
  VoiceClientEvents,
  VoiceServerEvents,
  Record<string, never>,
  { principal: Principal }
>;

/**
 * The mode of a new call: the one asked for, else the settings' (realtime only where its provider
 * is usable: with no key a first run's calls are cascaded on the offline engines).
 */
function voiceMode(asked: VoiceMode | undefined): VoiceMode {
  if (asked) return asked;
  return getConfig().settings.speech.mode === "realtime" && speechStatus("realtime").configured
    ? "realtime"
    : "cascaded";
}
/** The browser must connect the media this soon after the start, or the call ends. */
const CONNECT_TIMEOUT_MS = 15_000;
const WARN_BEFORE_S = 60;
/** A call whose socket dropped (media still flowing) may be resumed this long. */
const RESUME_MS = 10_000;
/** A realtime call's audio does not pass through the gateway: it may go on longer without the socket. */
const REALTIME_RESUME_MS = 30_000;

interface Call {
  id: string;
  sessionId: string;
  principal: Principal;
  /** cascaded: the gateway's own pipeline on its WebRTC peer; realtime: the provider's, relayed. */
  mode: VoiceMode;
  peer: WeriftPeer | undefined;
  /** The PCM-over-socket peer, once the page fell back to it. */
  fallback?: SocketPeer;
  pipeline: VoiceCallPipeline | RealtimeCall | undefined;
  startedAt: number;
  timers: NodeJS.Timeout[];
  ended: boolean;
  /** When the page's offer came (for offer → connected); cleared once reported. */
  offeredAt?: number;
  /** The socket that controls the call now (another one after a resume); undefined while detached. */
  socket: VoiceSocket | undefined;
  /** Ends a detached call unless it is resumed in time. */
  detachTimer?: NodeJS.Timeout;
  state: string;
}

/** What a call's engine tells the page: over whichever socket controls the call now. */
function callEvents(call: Call): CallEvents {
  const callId = call.id;
  return {
    state: (state) => {
      call.state = state;
      call.socket?.emit("voice.state", { callId, state });
    },
    caption: (role, text, partial) =>
      call.socket?.emit("voice.caption", { callId, role, text, ...(partial ? { partial } : {}) }),
    problem: (code, message) => call.socket?.emit("voice.error", { callId, code, message }),
  };
}

/** Every call on this gateway, by id (ended by hang-up, disconnect, take-over or shutdown). */
interface CallEntry {
  call: Call;
  end: (reason: string, message: string) => Promise<void>;
}
const calls = new Map<string, CallEntry>();

export function attachVoice(nsp: VoiceNamespace, deps: { log: Logger; redisUrl: string }): void {
  // The voice activity model loads now, not in the middle of the first call.
  setImmediate(warmUpVad);
  // Calls of a gateway that died are ended by whichever gateway sweeps first; ours are kept alive.
  const liveness = setInterval(() => {
    for (const callId of [...calls.keys(), ...directCallIds()])
      void renewCall(redis(), callId).catch(() => undefined);
    void sweepLostCalls(db(), redis())
      .then((n) => n > 0 && deps.log.warn({ calls: n }, "voice calls of a lost gateway ended"))
      .catch(() => undefined);
  }, RENEW_MS);
  liveness.unref();

  // A take-over elsewhere (or on another gateway) ends the call here.
  void channelHub(deps.redisUrl)
    .listen(
      END_CHANNEL,
      (callId) =>
        void (
          calls.get(callId)?.end("replaced", "This call continues in another tab.") ??
          endDirectCall(callId, "replaced")
        ),
    )
    .catch(() => undefined);

  nsp.on("connection", (socket: VoiceSocket) => {
    const { principal } = socket.data;
    const log = deps.log.child({ socket: socket.id, userId: principal.userId });
    const mine = new Set<string>();
    const own = (callId: string) => {
      const entry = calls.get(callId);
      if (!entry || !mine.has(callId)) throw new AppError("not_found", "No such call (it may have ended).");
      return entry;
    };

    /** Runs the call's pipeline on `peer` (the WebRTC peer, or the socket after a fallback). */
    const attachPipeline = async (call: Call, peer: MediaPeer, end: CallEntry["end"]) => {
      const callId = call.id;
      const pipeline = new VoiceCallPipeline({
        callId,
        principal,
        session: await sessionFor(principal, call.sessionId, "write"),
        peer,
        log: log.child({ callId }),
        redisUrl: deps.redisUrl,
        input: getConfig().settings.speech.input,
        events: callEvents(call),
      });
      call.pipeline = pipeline;
      try {
        await pipeline.start();
      } catch (err) {
        log.error({ err, callId }, "voice pipeline could not start");
        await end("failed", "Voice could not start on the server.");
        throw new AppError("unavailable", "Voice could not start on the server.");
      }
    };

    /** Realtime: the offer goes to the provider with the server's session; the gateway keeps the sideband. */
    const relayRealtime = async (call: Call, sdp: string, end: CallEntry["end"]): Promise<string> => {
      const callId = call.id;
      const input = getConfig().settings.speech.input;
      let created: RealtimeCallCreated;
      const session = realtimeSession(input);
      const started = performance.now();
      // The session is read and its access checked while the provider answers (bench/realtime-relay.ts:
      // one Postgres read and one OpenFGA check less on every offer); its failure is thrown below.
      const chatSession = sessionFor(principal, call.sessionId, "write");
      void chatSession.catch(() => undefined);
      try {
        created = await createRealtimeCall(sdp, session);
      } catch (err) {
        const message = err instanceof SpeechError ? err.message : "The realtime voice could not start.";
        voiceMetrics().providerError("realtime", err instanceof SpeechError ? err.status : undefined);
        log.warn({ callId, err: message }, "realtime call not created");
        await end("failed", message);
        throw new AppError("unavailable", `${message} Cascaded voice may still work.`, {
          details: { fallback: "cascaded" },
        });
      }
      const rt = new RealtimeCall({
        callId,
        providerCallId: created.providerCallId,
        principal,
        session: await chatSession,
        log: log.child({ callId, providerCallId: created.providerCallId }),
        input,
        realtimeSession: session,
        events: callEvents(call),
        onLost: () => void end("realtime_lost", "The realtime connection was lost; start the call again."),
      });
      call.pipeline = rt;
      // The sideband opens while the answer goes back: it is up long before the provider has anything
      // to say or ask (the page's media needs ICE and DTLS first, then the person's words), and the
      // answer does not wait for a round trip to the provider. If it cannot open, the call ends: the
      // page is told (and offered cascaded voice), the provider's call is hung up.
      void rt.start().catch(async (err: unknown) => {
        if (call.ended) return; // hung up meanwhile: the provider's call is gone with it
        const message = err instanceof SpeechError ? err.message : "The realtime voice could not start.";
        log.warn({ callId, err: message }, "realtime sideband not opened");
        await end("failed", message);
      });
      const offerMs = performance.now() - started;
      voiceMetrics().realtimeOffer(offerMs / 1000);
      // The gateway's share includes the session check.
      voiceMetrics().realtimeRelay((offerMs - created.providerMs) / 1000);
      return created.answerSdp;
    };

    socket.on(
      "voice.start",
      socketHandler(
        socket,
        log,
        "voice.start",
        startPayload,
        async ({ sessionId, takeOver, mode: asked }): Promise<StartReply> => {
          const { settings } = getConfig();
          const mode = voiceMode(asked);
          const { allowance, callLimit, maxSeconds } = await admitCall(principal, sessionId, mode);
          const callId = crypto.randomUUID();
          await claimCallSlot(principal, callId, callLimit.seconds, takeOver ?? false);
          await recordCallStart(principal, callId, sessionId);
          const call: Call = {
            id: callId,
            sessionId,
            principal,
            mode,
            peer: mode === "cascaded" ? new WeriftPeer(webrtcOptions()) : undefined,
            pipeline: undefined,
            startedAt: Date.now(),
            timers: [],
            ended: false,
            socket,
            state: "connecting",
          };
          const callLog = log.child({ callId, sessionId });
          const end = async (reason: string, message: string) => {
            if (call.ended) return;
            call.ended = true;
            for (const t of call.timers) clearTimeout(t);
            clearTimeout(call.detachTimer);
            calls.delete(callId);
            mine.delete(callId);
            await call.pipeline
              ?.close()
              .catch((err: unknown) => callLog.warn({ err }, "voice pipeline did not close"));
            call.peer?.close();
            const audioSeconds = (Date.now() - call.startedAt) / 1000;
            await recordCallEnd({ principal, callId, sessionId, mode, reason, audioSeconds }).catch(
              (err: unknown) => callLog.error({ err }, "voice call could not be recorded"),
            );
            callLog.info({ reason, audioSeconds }, "voice call ended");
            call.socket?.emit("voice.ended", { callId, reason, message });
          };
          calls.set(callId, { call, end });
          mine.add(callId);
          callLog.info({ maxSeconds }, "voice call started");
          call.timers.push(
            setTimeout(() => {
              if (!call.pipeline) void end("media_failed", "The audio connection could not be made.");
            }, CONNECT_TIMEOUT_MS),
            setTimeout(
              () => {
                call.socket?.emit("voice.warning", {
                  callId,
                  code: "time_running_out",
                  message:
                    maxSeconds >= WARN_BEFORE_S
                      ? "One minute of voice time left in this call."
                      : `${maxSeconds} seconds of voice time left in this call.`,
                });
              },
              Math.max(0, maxSeconds - WARN_BEFORE_S) * 1000,
            ),
            setTimeout(() => {
              const budget = allowance.seconds <= callLimit.seconds;
              void end(
                budget ? "budget" : "max_duration",
                budget
                  ? "Your organisation's voice minutes for today are used up; you can still type."
                  : `Calls end after ${callLimit.label}; start a new one to go on.`,
              );
            }, maxSeconds * 1000),
          );
          // Lost after it worked: the call is over. Never connected: the page falls back or times out.
          let connected = false;
          call.peer?.onState((state) => {
            if (state === "connected") connected = true;
            if (state === "failed" && connected && !call.fallback)
              void end(
                "media_failed",
                call.pipeline?.hearing
                  ? "The audio connection was lost; what you were saying was not sent."
                  : "The audio connection was lost.",
              );
          });
          void writeAudit({
            ...actorOf(principal),
            ip: socket.handshake.address,
            action: "voice.start",
            outcome: "success",
            resource: `session ${sessionId}`,
            details: { callId },
          });
          const offline =
            mode === "realtime"
              ? speechStatus("realtime").offline
              : speechStatus("stt").offline || speechStatus("tts").offline;
          return { callId, mode, input: settings.speech.input, offline, maxSeconds };
        },
      ),
    );

    socket.on(
      "voice.offer",
      socketHandler(socket, log, "voice.offer", offerPayload, async ({ callId, sdp }) => {
        const { call, end } = own(callId);
        if (call.pipeline) throw new AppError("conflict", "This call is already connected.");
        call.offeredAt = performance.now();
        if (!call.peer) return { sdp: await relayRealtime(call, sdp, end) };
        let answer: string;
        try {
          answer = await call.peer.answer(sdp);
        } catch (err) {
          log.warn({ err, callId }, "voice offer refused");
          throw new AppError(
            "invalid_request",
            "The audio offer could not be used (one audio track is expected).",
          );
        }
        await attachPipeline(call, call.peer, end);
        return { sdp: answer };
      }),
    );

    // WebRTC could not connect: the call's audio goes over this socket instead (half-duplex).
    socket.on(
      "voice.fallback",
      socketHandler(socket, log, "voice.fallback", hangupPayload, async ({ callId }) => {
        const { call, end } = own(callId);
        if (call.fallback) throw new AppError("conflict", "This call already uses the fallback.");
        if (!call.peer)
          throw new AppError("conflict", "A realtime call has no audio fallback; use cascaded voice.");
        await call.pipeline?.close();
        call.pipeline = undefined;
        call.peer.close();
        const peer = new SocketPeer((pcm) =>
          call.socket?.emit("voice.audio", {
            callId,
            pcm: pcm ? Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength) : null,
          }),
        );
        call.fallback = peer;
        await attachPipeline(call, peer, end);
        log.info({ callId }, "voice call fell back to audio over the socket");
        return null;
      }),
    );

    socket.on("voice.audio", (raw: unknown) => {
      const parsed = audioPayload.safeParse(raw);
      if (!parsed.success) return; // a stray or oversized chunk is dropped, not answered 50 times a second
      const entry = calls.get(parsed.data.callId);
      if (!entry || !mine.has(parsed.data.callId)) return;
      const b = parsed.data.pcm;
      const even = b.byteLength & ~1;
      const copy = new Uint8Array(b.buffer, b.byteOffset, even).slice();
      entry.call.fallback?.receive(new Int16Array(copy.buffer));
    });

    socket.on(
      "voice.ptt",
      socketHandler(socket, log, "voice.ptt", pttPayload, async ({ callId, pressed }) => {
        own(callId).call.pipeline?.ptt(pressed);
        return null;
      }),
    );

    // Sent while the agent is being interrupted: no answer, and a bad one is dropped like a bad chunk.
    socket.on("voice.played", (raw: unknown) => {
      const parsed = playedPayload.safeParse(raw);
      if (!parsed.success || !mine.has(parsed.data.callId)) return;
      calls.get(parsed.data.callId)?.call.pipeline?.played(parsed.data.rtpTimestamp);
    });

    socket.on("voice.connected", (raw: unknown) => {
      const parsed = hangupPayload.safeParse(raw);
      if (!parsed.success || !mine.has(parsed.data.callId)) return;
      const call = calls.get(parsed.data.callId)?.call;
      if (call?.offeredAt === undefined) return;
      voiceMetrics().offerConnected(call.mode, (performance.now() - call.offeredAt) / 1000);
      call.offeredAt = undefined;
    });

    socket.on(
      "voice.input",
      socketHandler(socket, log, "voice.input", inputPayload, async ({ callId, input }) => {
        own(callId).call.pipeline?.setInput(input);
        return null;
      }),
    );

    socket.on(
      "voice.hangup",
      socketHandler(socket, log, "voice.hangup", hangupPayload, async ({ callId }) => {
        await own(callId).end("hangup", "Call ended.");
        return null;
      }),
    );

    socket.on(
      "voice.resume",
      socketHandler(socket, log, "voice.resume", hangupPayload, async ({ callId }) => {
        const entry = calls.get(callId);
        if (!entry || entry.call.principal.userId !== principal.userId)
          throw new AppError("not_found", "That call has ended; start a new one.");
        clearTimeout(entry.call.detachTimer);
        entry.call.socket = socket;
        mine.add(callId);
        log.info({ callId }, "voice call resumed");
        return { state: entry.call.state };
      }),
    );

    // The socket dropped: the media may still flow; the call waits RESUME_MS for the page to come back.
    socket.on("disconnect", () => {
      for (const callId of [...mine]) {
        const entry = calls.get(callId);
        if (!entry || entry.call.socket !== socket) continue;
        entry.call.socket = undefined;
        entry.call.detachTimer = setTimeout(
          () => void entry.end("disconnected", "The connection to the server was lost."),
          entry.call.mode === "realtime" ? REALTIME_RESUME_MS : RESUME_MS,
        );
      }
    });
  });
}

/** Graceful shutdown: every call here ends (its turn is interrupted by the turn manager). */
export async function endAllCalls(): Promise<void> {
  await Promise.allSettled([
    ...[...calls.values()].map((c) =>
      c.end("server_shutdown", "The server is restarting; call again in a moment."),
    ),
    ...directCallIds().map((id) => endDirectCall(id, "server_shutdown")),
  ]);
}
