// Pieces of bench/realtime-relay.ts: a page's signalling socket on /voice that keeps when each event
// arrived, and a werift peer's offer → connected, timed; times are `stamp()`s (one clock across the
// bench's processes).
import { io, type Socket } from "socket.io-client";
import type { RTCPeerConnection } from "werift";
import type { Ack } from "../lib/realtime/events";
import type { VoiceClientEvents, VoiceServerEvents } from "../lib/voice/signalling";
import { newPeer, offerSdp } from "../tests/helpers/realtime-client";
import { stamp } from "./lib/child-rpc";

type Reply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export class Signalling {
  readonly socket: Socket<VoiceServerEvents, VoiceClientEvents>;
  /** voice.error events (a realtime provider's `error` events reach the page as these). */
  readonly problems: { callId: string; message: string; at: number }[] = [];
  readonly captions: { callId: string; role: string; text: string; partial: boolean; at: number }[] = [];
  readonly ended = new Set<string>();

  constructor(base: string, token: string) {
    this.socket = io(`${base}/voice`, { auth: { token }, transports: ["websocket"], reconnection: false });
    this.socket.on("voice.error", (e) =>
      this.problems.push({ callId: e.callId, message: e.message, at: stamp() }),
    );
    this.socket.on("voice.caption", (e) =>
      this.captions.push({ ...e, partial: e.partial === true, at: stamp() }),
    );
    this.socket.on("voice.ended", (e) => this.ended.add(e.callId));
  }

  ready(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
  }

  call<T>(event: keyof VoiceClientEvents, payload: unknown): Promise<Reply<T>> {
    return new Promise((resolve) =>
      (this.socket.emit as (e: string, p: unknown, a: Ack<T>) => void)(event, payload, resolve),
    );
  }

  /** voice.start of a realtime call: its id. */
  async start(sessionId: string): Promise<string> {
    const r = await this.call<{ callId: string }>("voice.start", { sessionId, mode: "realtime" });
    if (!r.ok) throw new Error(`voice.start: ${r.error.message}`);
    return r.data.callId;
  }

  async hangup(callId: string): Promise<void> {
    const r = await this.call<null>("voice.hangup", { callId });
    if (!r.ok) throw new Error(`voice.hangup: ${r.error.message}`);
    await until(() => this.ended.has(callId), 5_000, "the call to end");
  }

  close(): void {
    this.socket.disconnect();
  }
}

export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A fresh sendrecv audio peer and its complete offer. */
export async function offeringPeer(): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const { pc, track } = newPeer();
  pc.addTransceiver(track, { direction: "sendrecv" });
  return { pc, sdp: await offerSdp(pc) };
}

/** Applies the answer; resolves with the instant (`stamp()`) ICE and DTLS are connected. */
export async function connected(pc: RTCPeerConnection, answer: string, timeoutMs = 10_000): Promise<number> {
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  if (pc.connectionState === "connected") return stamp();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`media did not connect (${pc.connectionState})`)),
      timeoutMs,
    );
    const { unSubscribe } = pc.connectionStateChange.subscribe((s) => {
      if (s !== "connected") return;
      clearTimeout(timer);
      unSubscribe();
      resolve(stamp());
    });
  });
}
