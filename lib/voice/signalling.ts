// socket.io `/voice`: the call's signalling, shared by server and client. The turn's own events (text,
// tools, truncation) stay on `/chat`; this namespace carries the call: start, SDP, push-to-talk,
// hang-up, and the server's state, captions and problems.
import { z } from "zod";
import type { Ack } from "../realtime/events";

export type VoiceMode = "cascaded" | "realtime";

export const startPayload = z.object({
  sessionId: z.uuid(),
  /** Unset: the settings' mode (speech.mode); "cascaded" also after a realtime failure. */
  mode: z.enum(["cascaded", "realtime"]).optional(),
  /** End this user's call in another tab or device and start here. */
  takeOver: z.boolean().optional(),
});
export const offerPayload = z.object({
  callId: z.uuid(),
  /** A complete offer (ICE candidates gathered): one audio track, sendrecv. */
  sdp: z.string().min(10).max(20_000),
});
export const pttPayload = z.object({ callId: z.uuid(), pressed: z.boolean() });
export const hangupPayload = z.object({ callId: z.uuid() });
/** Fallback audio from the page: 16 kHz mono 16-bit PCM, a few tens of milliseconds at a time. */
export const audioPayload = z.object({
  callId: z.uuid(),
  pcm: z.custom<Uint8Array>(
    (v) => v instanceof Uint8Array && v.byteLength <= 32_000,
    "16-bit PCM, at most 1 s",
  ),
});
/** The RTP timestamp of the last agent audio the page played (RTCRtpSynchronizationSource.rtpTimestamp). */
export const playedPayload = z.object({
  callId: z.uuid(),
  rtpTimestamp: z.number().int().min(0).max(0xffffffff),
});
export const inputPayload = z.object({ callId: z.uuid(), input: z.enum(["push-to-talk", "hands-free"]) });

export type CallStatus = "connecting" | "listening" | "hearing" | "thinking" | "speaking" | "interrupted";

export interface StartReply {
  callId: string;
  mode: VoiceMode;
  input: "push-to-talk" | "hands-free";
  /** The speech services run on the offline engines (rough recognition): the UI says so. */
  offline: boolean;
  /** Seconds the call may last (budget left today and speech.maxCallMinutes). */
  maxSeconds: number;
}

export interface VoiceClientEvents {
  "voice.start": (p: z.infer<typeof startPayload>, ack?: Ack<StartReply>) => void;
  "voice.offer": (p: z.infer<typeof offerPayload>, ack?: Ack<{ sdp: string }>) => void;
  "voice.ptt": (p: z.infer<typeof pttPayload>, ack?: Ack<null>) => void;
  "voice.hangup": (p: z.infer<typeof hangupPayload>, ack?: Ack<null>) => void;
  /** Takes the call back after the socket reconnected (within 10 s; the media kept flowing). */
  "voice.resume": (p: z.infer<typeof hangupPayload>, ack?: Ack<{ state: string }>) => void;
  /** WebRTC could not connect: send and receive the call's audio over this socket (half-duplex). */
  "voice.fallback": (p: z.infer<typeof hangupPayload>, ack?: Ack<null>) => void;
  "voice.audio": (p: { callId: string; pcm: ArrayBuffer | Uint8Array }) => void;
  /** How far the page played the agent's audio: sent when told the agent was interrupted, before a push-to-talk press and a hang-up. */
  "voice.played": (p: z.infer<typeof playedPayload>) => void;
  /** The page's peer connection reached "connected" (once per call; no answer). */
  "voice.connected": (p: z.infer<typeof hangupPayload>) => void;
  /** Switches between hands-free and push-to-talk during the call. */
  "voice.input": (p: z.infer<typeof inputPayload>, ack?: Ack<null>) => void;
}

export interface VoiceServerEvents {
  "voice.state": (e: { callId: string; state: CallStatus }) => void;
  /** `partial`: the person's words so far; a final caption follows. */
  "voice.caption": (e: { callId: string; role: "user" | "agent"; text: string; partial?: boolean }) => void;
  /** Something failed but the call goes on (speech to text, the voice): a toast. */
  "voice.error": (e: { callId: string; code: string; message: string }) => void;
  /** A minute of voice time is left. */
  "voice.warning": (e: { callId: string; code: string; message: string }) => void;
  "voice.ended": (e: { callId: string; reason: string; message: string }) => void;
  /** Fallback only: the agent's voice, 24 kHz mono 16-bit PCM; null: drop what is queued. */
  "voice.audio": (e: { callId: string; pcm: ArrayBuffer | Uint8Array | null }) => void;
  error: (e: { code: string; message: string; event?: string }) => void;
  "auth.revoked": (e: { reason: string }) => void;
}
