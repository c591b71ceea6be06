// The server end of a call's media: one audio track each way. The pipeline sees 16 kHz PCM frames
// in and queues 24 kHz PCM out; how they travel (WebRTC, or PCM over the socket as a fallback) is
// the peer's business.

export const INPUT_RATE = 16_000;
export const OUTPUT_RATE = 24_000;
/** Output is sent in 20 ms frames. */
export const OUTPUT_FRAME_MS = 20;

export type PeerState = "connecting" | "connected" | "failed" | "closed";

export interface MediaPeer {
  /** Audio from the person, 16 kHz mono, in arrival order. */
  onAudio(listener: (pcm: Int16Array) => void): void;
  onState(listener: (state: PeerState) => void): void;
  /** Queues agent audio (24 kHz mono), played out in real time after what is queued already. */
  play(pcm: Int16Array): void;
  /** Stops at once; returns the queued audio not yet sent (to play later, or to drop). */
  takeBack(): Int16Array[];
  /** Milliseconds of agent audio queued since the peer started (sent or waiting). */
  queuedMs(): number;
  /** Milliseconds of agent audio sent since the peer started. */
  sentMs(): number;
  /**
   * Milliseconds of agent audio (as `sentMs` counts) up to the end of the packet with this RTP
   * timestamp: the page reports the last one it played, so an interruption keeps what was heard.
   * Undefined when the peer has no RTP or the timestamp is not one of its recent packets.
   */
  playedMsAt(rtpTimestamp: number): number | undefined;
  close(): void;
}
