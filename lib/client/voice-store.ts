"use client";
// The browser end of a voice call (zustand): the microphone with echo cancellation, noise
// suppression and auto gain on, one RTCPeerConnection to the gateway (the agent's voice comes back on
// it, so the browser cancels its echo), signalling on socket.io `/voice`, push-to-talk, mute, and
// the call's status in words. Keys never reach the page: the gateway calls the speech services.
import { create } from "zustand";
import { io, type Socket } from "socket.io-client";
import type { Ack } from "../realtime/events";
import type {
  CallStatus,
  StartReply,
  VoiceClientEvents,
  VoiceMode,
  VoiceServerEvents,
} from "../voice/signalling";
import { toast } from "./toast-store";
import { PcmFallback } from "./voice-fallback";

type VoiceSocket = Socket<VoiceServerEvents, VoiceClientEvents>;
export type VoiceStatus = "idle" | "connecting" | CallStatus | "reconnecting" | "error";

/** How long ICE may take before the call gives up on the audio connection. */
const ICE_TIMEOUT_MS = 5_000;
/** How long a dropped socket may take to come back before the call is over (as on the server). */
const RESUME_MS = 10_000;
/** A realtime call's audio goes straight to the provider: it may wait longer for the socket. */
const REALTIME_RESUME_MS = 30_000;
/** After the agent is interrupted, time for the audio already here to play before reporting it. */
const PLAYOUT_DRAIN_MS = 150;

export interface VoiceStore {
  status: VoiceStatus;
  /** What went wrong, in words (status "error"). */
  message: string | null;
  /** Something to know about the call in progress (e.g. the audio fallback). */
  notice: string | null;
  /** The call can be taken over from another tab (the last start was refused for that). */
  elsewhere: boolean;
  /** Voice is not set up (no usable speech provider): the message says what to do in Settings. */
  setup: boolean;
  sessionId: string | null;
  /** The last call's mode: after a realtime failure the bar offers cascaded voice. */
  mode: VoiceMode | null;
  callId: string | null;
  input: "push-to-talk" | "hands-free";
  offline: boolean;
  muted: boolean;
  talking: boolean;
  /** Microphone level 0–1 (for the meter). */
  level: number;
  /** The last words heard or said, as captions. */
  caption: { role: "user" | "agent"; text: string } | null;
  start: (sessionId: string, opts?: { takeOver?: boolean; mode?: VoiceMode }) => Promise<void>;
  hangup: () => Promise<void>;
  ptt: (pressed: boolean) => void;
  toggleMute: () => void;
  setInput: (input: "push-to-talk" | "hands-free") => void;
  dismiss: () => void;
  /** Says why no call can start (voice not set up), without asking the server. */
  unavailable: (message: string) => void;
}

let socket: VoiceSocket | null = null;
let pc: RTCPeerConnection | null = null;
let mic: MediaStream | null = null;
let audioEl: HTMLAudioElement | null = null;
let meter: { ctx: AudioContext; timer: number } | null = null;
let fallback: PcmFallback | null = null;

function emit<T>(event: keyof VoiceClientEvents, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!socket) return reject(new Error("Not connected."));
    (socket.emit as (e: string, p: unknown, a: Ack<T>) => void)(event, payload, (reply) =>
      reply.ok
        ? resolve(reply.data)
        : reject(Object.assign(new Error(reply.error.message), { code: reply.error.code })),
    );
  });
}

function connectSocket(): Promise<VoiceSocket> {
  if (socket?.connected) return Promise.resolve(socket);
  socket?.disconnect();
  const s: VoiceSocket = io("/voice", { withCredentials: true, transports: ["websocket", "polling"] });
  socket = s;
  return new Promise((resolve, reject) => {
    const to = setTimeout(
      () => reject(new Error("The server did not answer; check your connection.")),
      8_000,
    );
    s.once("connect", () => {
      clearTimeout(to);
      resolve(s);
    });
    s.once("connect_error", (err) => {
      clearTimeout(to);
      reject(
        new Error(
          err.message === "unauthorized"
            ? "Your sign-in has expired; sign in again."
            : "Cannot reach the server.",
        ),
      );
    });
  });
}

function micError(err: unknown): string {
  const name = (err as { name?: string }).name;
  if (name === "NotAllowedError" || name === "SecurityError")
    return "Microphone access was denied. Allow the microphone for this site in the browser's address bar, then try again.";
  if (name === "NotFoundError") return "No microphone was found. Connect one and try again.";
  if (name === "NotReadableError") return "The microphone is in use by another application.";
  return "The microphone could not be opened.";
}

function teardown() {
  if (meter) {
    clearInterval(meter.timer);
    void meter.ctx.close().catch(() => undefined);
    meter = null;
  }
  pc?.close();
  pc = null;
  fallback?.close();
  fallback = null;
  for (const t of mic?.getTracks() ?? []) t.stop();
  mic = null;
  if (audioEl) {
    audioEl.srcObject = null;
    audioEl.remove();
    audioEl = null;
  }
}

export const useVoice = create<VoiceStore>((set, get) => {
  const ended = (message: string | null, status: VoiceStatus = "idle") => {
    teardown();
    set({
      status,
      message,
      setup: false,
      notice: null,
      callId: null,
      talking: false,
      level: 0,
      caption: null,
      muted: false,
    });
  };

  const listen = (s: VoiceSocket) => {
    s.off("voice.state").on("voice.state", (e) => {
      if (e.callId !== get().callId) return;
      set({ status: e.state });
      // What was still buffered here plays out first; then say how far the agent's voice got.
      if (e.state === "interrupted") setTimeout(() => reportPlayed(e.callId), PLAYOUT_DRAIN_MS);
    });
    s.off("voice.caption").on("voice.caption", (e) => {
      if (e.callId === get().callId)
        set({ caption: { role: e.role, text: e.partial ? `${e.text}…` : e.text } });
    });
    s.off("voice.error").on("voice.error", (e) => {
      if (e.callId === get().callId) toast(e.message, "error");
    });
    s.off("voice.warning").on("voice.warning", (e) => {
      if (e.callId === get().callId) toast(e.message, "warning");
    });
    s.off("voice.audio").on("voice.audio", (e) => {
      if (e.callId === get().callId) fallback?.play(e.pcm);
    });
    s.off("voice.ended").on("voice.ended", (e) => {
      if (e.callId !== get().callId) return;
      // A realtime call that failed says so in the bar, which offers cascaded voice.
      if (get().mode === "realtime" && (e.reason === "realtime_lost" || e.reason === "failed"))
        return ended(e.message, "error");
      if (e.reason !== "hangup") toast(e.message, e.reason === "replaced" ? "info" : "warning");
      ended(null);
    });
    // The socket dropped: the media may still be flowing. Reconnect and take the call back within
    // RESUME_MS, as the server waits that long; otherwise it is over.
    s.off("disconnect").on("disconnect", (reason) => {
      const callId = get().callId;
      if (!callId || reason === "io client disconnect") return;
      set({ status: "reconnecting" });
      const lost = () => {
        if (get().callId === callId)
          ended("The connection to the server was lost. Start the call again.", "error");
      };
      const timer = setTimeout(lost, get().mode === "realtime" ? REALTIME_RESUME_MS : RESUME_MS);
      s.once("connect", () => {
        clearTimeout(timer);
        emit<{ state: CallStatus }>("voice.resume", { callId })
          .then(({ state }) => get().callId === callId && set({ status: state }))
          .catch(lost);
      });
    });
  };

  return {
    status: "idle",
    message: null,
    notice: null,
    elsewhere: false,
    setup: false,
    sessionId: null,
    mode: null,
    callId: null,
    input: "push-to-talk",
    offline: false,
    muted: false,
    talking: false,
    level: 0,
    caption: null,

    async start(sessionId, opts = {}) {
      if (get().callId) return;
      set({ status: "connecting", message: null, elsewhere: false, sessionId, caption: null, mode: null });
      try {
        mic = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
        });
      } catch (err) {
        return ended(micError(err), "error");
      }
      let reply: StartReply;
      try {
        const s = await connectSocket();
        listen(s);
        reply = await emit<StartReply>("voice.start", { sessionId, ...opts });
      } catch (err) {
        const code = (err as { code?: string }).code;
        teardown();
        set({
          status: "error",
          message: (err as Error).message,
          elsewhere: code === "conflict",
          setup: false,
        });
        return;
      }
      set({ callId: reply.callId, mode: reply.mode, input: reply.input, offline: reply.offline });
      try {
        pc = new RTCPeerConnection({ iceServers: [] });
        for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
        audioEl = document.createElement("audio");
        audioEl.autoplay = true;
        audioEl.dataset.testid = "agent-audio";
        audioEl.hidden = true;
        document.body.appendChild(audioEl);
        pc.ontrack = (e) => {
          if (audioEl) audioEl.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        };
        pc.onconnectionstatechange = () => {
          if (pc?.connectionState === "failed" && get().callId) {
            void emit("voice.hangup", { callId: get().callId }).catch(() => undefined);
            ended("The audio connection was lost. Start the call again.", "error");
          }
        };
        await pc.setLocalDescription(await pc.createOffer());
        await gathered(pc);
        const { sdp } = await emit<{ sdp: string }>("voice.offer", {
          callId: reply.callId,
          sdp: pc.localDescription!.sdp,
        });
        await pc.setRemoteDescription({ type: "answer", sdp });
        try {
          await connected(pc);
          // Only the page sees a realtime call's media connect (offer → connected, a gateway metric).
          socket?.emit("voice.connected", { callId: reply.callId });
        } catch {
          if (reply.mode === "realtime") {
            // The provider's media cannot be reached from here; cascaded voice has a fallback.
            void emit("voice.hangup", { callId: reply.callId }).catch(() => undefined);
            return ended("The realtime voice could not connect from this network.", "error");
          }
          // No direct audio connection (a firewall blocks UDP): the audio goes over the socket.
          pc.close();
          pc = null;
          await emit("voice.fallback", { callId: reply.callId });
          const callId = reply.callId;
          const opened = await PcmFallback.open(
            mic,
            (pcm) => socket?.emit("voice.audio", { callId, pcm }),
            () => get().talking,
          );
          if (get().callId !== callId) return opened.close(); // hung up meanwhile
          fallback = opened;
          set({
            notice:
              "Direct audio is blocked here, so the call's audio goes through the server: the microphone pauses while the agent speaks.",
          });
        }
      } catch (err) {
        const callId = get().callId;
        if (callId) void emit("voice.hangup", { callId }).catch(() => undefined);
        return ended((err as Error).message || "The call could not connect.", "error");
      }
      startMeter(mic, (level) => set({ level }));
      if (reply.input === "push-to-talk") mic.getAudioTracks().forEach((t) => (t.enabled = false));
    },

    async hangup() {
      const callId = get().callId;
      if (callId) reportPlayed(callId);
      if (callId) await emit("voice.hangup", { callId }).catch(() => undefined);
      ended(null);
    },

    ptt(pressed) {
      const { callId, input, talking, muted } = get();
      if (!callId || input !== "push-to-talk" || talking === pressed || muted) return;
      mic?.getAudioTracks().forEach((t) => (t.enabled = pressed));
      set({ talking: pressed });
      if (pressed) reportPlayed(callId);
      void emit("voice.ptt", { callId, pressed }).catch(() => undefined);
    },

    toggleMute() {
      const muted = !get().muted;
      if (get().input === "hands-free") mic?.getAudioTracks().forEach((t) => (t.enabled = !muted));
      set({ muted });
    },

    setInput(input) {
      const { callId, muted } = get();
      if (!callId || input === get().input) return;
      mic?.getAudioTracks().forEach((t) => (t.enabled = input === "hands-free" && !muted));
      set({ input, talking: false });
      void emit("voice.input", { callId, input }).catch(() => undefined);
    },

    dismiss() {
      set({ status: "idle", message: null, elsewhere: false, setup: false });
    },

    unavailable(message) {
      set({ status: "error", message, elsewhere: false, setup: true, sessionId: null });
    },
  };
});

/**
 * Tells the gateway the RTP timestamp of the last agent audio played here, so an interrupted answer
 * keeps what was heard. Over the socket fallback there is no RTP: the gateway estimates.
 */
function reportPlayed(callId: string): void {
  const played = pc?.getReceivers()[0]?.getSynchronizationSources()[0];
  if (played) socket?.emit("voice.played", { callId, rtpTimestamp: played.rtpTimestamp });
}

function gathered(peer: RTCPeerConnection): Promise<void> {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(to);
      resolve();
    };
    // Host candidates come at once; do not wait for slow STUN/mDNS ones.
    const to = setTimeout(done, 1_000);
    peer.addEventListener("icegatheringstatechange", () => peer.iceGatheringState === "complete" && done());
  });
}

function connected(peer: RTCPeerConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    if (peer.connectionState === "connected") return resolve();
    const to = setTimeout(
      () => reject(new Error("The audio connection could not be made (a firewall may block it).")),
      ICE_TIMEOUT_MS,
    );
    peer.addEventListener("connectionstatechange", () => {
      if (peer.connectionState === "connected") {
        clearTimeout(to);
        resolve();
      } else if (peer.connectionState === "failed") {
        clearTimeout(to);
        reject(new Error("The audio connection failed."));
      }
    });
  });
}

function startMeter(stream: MediaStream, onLevel: (level: number) => void) {
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    onLevel(Math.min(1, Math.sqrt(sum / buf.length) * 4));
  }, 100);
  meter = { ctx, timer };
}
