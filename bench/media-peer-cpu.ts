// CPU per call of the server's media path, werift against @roamhq/wrtc (libwebrtc), on loopback.
//   werift  the gateway's own WeriftPeer (lib/voice/werift-peer.ts): answers the client's offer, is
//           fed 24 kHz agent speech with play() and its onAudio (16 kHz) consumed; Opus in JS
//           (opusscript) and RTP in TypeScript.
//   wrtc    the same MediaPeer shape over @roamhq/wrtc (WrtcPeer below, bench-only): the agent's
//           audio goes in as 10 ms 24 kHz frames through the nonstandard RTCAudioSource, the
//           person's comes out of RTCAudioSink as 10 ms PCM and is resampled to 16 kHz; libwebrtc
//           does Opus, RTP, the jitter buffer and pacing in native threads.
// Each run forks a server process (the peers under test) and a client process: N werift clients as
// tests/helpers/voice-client.ts makes them, each sending 20 ms Opus frames of espeak-ng speech and
// decoding what it receives. Only the server's own CPU (process.cpuUsage: every thread) is the
// figure; the clients run elsewhere so they do not count. Offer and answer travel over IPC; every
// ICE candidate is 127.0.0.1.
// Phases per run, each measured on the server: the process with the library loaded and no peer
// (empty), N peers connected with no audio fed (idle: both libraries send a silent stream, as the
// gateway does between answers), then audio both ways for `seconds` (the figure). Frames are
// counted both ways in that phase, with their loudness, to prove the path carries speech.
// Run: npx tsx bench/media-peer-cpu.ts [calls=10] [seconds=20] [libs=werift,wrtc]
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, RTCRtpCodecParameters } from "werift";
import { parseWav, resample } from "../lib/audio/wav";
import { speak } from "../server/offline-provider/speech/espeak";
import {
  INPUT_RATE,
  OUTPUT_FRAME_MS,
  OUTPUT_RATE,
  type MediaPeer,
  type PeerState,
} from "../lib/voice/media-peer";
import { PcmQueue } from "../lib/voice/pcm-queue";
import { onlyLoopbackCandidates } from "../lib/voice/webrtc-options";
import { WeriftPeer } from "../lib/voice/werift-peer";
import { OpusDecoder, OpusEncoder, opusHeap } from "../lib/voice/opus-codec";

type Lib = "werift" | "wrtc";
const LIBS: Lib[] = ["werift", "wrtc"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Audio counted in a phase, summed over the calls. */
interface Flow {
  ms: number;
  /** Sum of squares of the samples, for the RMS. */
  sumSq: number;
  samples: number;
}
const emptyFlow = (): Flow => ({ ms: 0, sumSq: 0, samples: 0 });
const addPcm = (f: Flow, pcm: Int16Array, rate: number) => {
  f.ms += (pcm.length * 1000) / rate;
  f.samples += pcm.length;
  for (let i = 0; i < pcm.length; i++) f.sumSq += pcm[i]! * pcm[i]!;
};
const rms = (f: Flow) => Math.sqrt(f.sumSq / Math.max(1, f.samples));

/** A looping espeak-ng phrase at 24 kHz, taken `n` samples at a time. */
async function speechLoop(text: string, voice: string) {
  const wav = parseWav(await speak(text, voice, 1, OUTPUT_RATE));
  if (!wav) throw new Error("espeak-ng gave no WAV");
  const pcm = wav.samples;
  return (offset: number) => {
    let at = offset % pcm.length;
    return (n: number) => {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = pcm[at]!;
        at = (at + 1) % pcm.length;
      }
      return out;
    };
  };
}

// ---------------------------------------------------------------------------------------------
// WrtcPeer: MediaPeer over @roamhq/wrtc, for this bench only (the dependency is a devDependency).

type Wrtc = typeof import("@roamhq/wrtc");
interface AudioData {
  samples: Int16Array;
  sampleRate: number;
  channelCount?: number;
  numberOfFrames?: number;
}
const WRTC_FRAME_MS = 10; // RTCAudioSource takes 10 ms frames
const WRTC_FRAME = (OUTPUT_RATE * WRTC_FRAME_MS) / 1000;

class WrtcPeer implements MediaPeer {
  private readonly pc: globalThis.RTCPeerConnection;
  private readonly source: InstanceType<Wrtc["nonstandard"]["RTCAudioSource"]>;
  private readonly track: globalThis.MediaStreamTrack;
  private sink: InstanceType<Wrtc["nonstandard"]["RTCAudioSink"]> | undefined;
  private readonly silence = new Int16Array(WRTC_FRAME);
  private readonly queue = new PcmQueue();
  private audioListeners: ((pcm: Int16Array) => void)[] = [];
  private stateListeners: ((s: PeerState) => void)[] = [];
  private queuedSamples = 0;
  private sentSamples = 0;
  private framesSent = 0;
  private clockStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What RTCAudioSink delivers (libwebrtc decodes at its own rate). */
  sinkFormat = "";

  constructor(private readonly wrtc: Wrtc) {
    this.pc = new wrtc.RTCPeerConnection({ iceServers: [] });
    this.source = new wrtc.nonstandard.RTCAudioSource();
    this.track = this.source.createTrack();
    this.pc.ontrack = (e: RTCTrackEvent) => {
      this.sink = new wrtc.nonstandard.RTCAudioSink(e.track);
      this.sink.ondata = (d: AudioData) => this.receive(d);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === "connected") this.startClock();
      const mapped: PeerState | undefined =
        state === "connected" || state === "failed" || state === "closed" ? state : undefined;
      if (mapped) for (const l of this.stateListeners) l(mapped);
    };
  }

  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: "offer", sdp: onlyLoopbackCandidates(offerSdp) });
    this.pc.addTrack(this.track, new this.wrtc.MediaStream()); // takes the offered transceiver
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    if (this.pc.iceGatheringState !== "complete")
      await new Promise<void>((resolve) => {
        this.pc.onicegatheringstatechange = () => {
          if (this.pc.iceGatheringState === "complete") resolve();
        };
      });
    return onlyLoopbackCandidates(this.pc.localDescription!.sdp);
  }

  onAudio(listener: (pcm: Int16Array) => void): void {
    this.audioListeners.push(listener);
  }
  onState(listener: (state: PeerState) => void): void {
    this.stateListeners.push(listener);
  }
  play(pcm: Int16Array): void {
    this.queue.push(pcm);
    this.queuedSamples += pcm.length;
  }
  takeBack(): Int16Array[] {
    this.queuedSamples = this.sentSamples;
    return this.queue.drain();
  }
  queuedMs(): number {
    return (this.queuedSamples * 1000) / OUTPUT_RATE;
  }
  sentMs(): number {
    return (this.sentSamples * 1000) / OUTPUT_RATE;
  }
  /** Packets each way and the receiver's concealment so far, from libwebrtc's stats. */
  async stats() {
    const totals = { packetsReceived: 0, packetsSent: 0, concealedSamples: 0, totalSamplesReceived: 0 };
    const report = (await this.pc.getStats()) as unknown as Map<string, Record<string, unknown>>;
    for (const s of report.values()) {
      if (s.kind !== "audio" && s.mediaType !== "audio") continue;
      if (s.type === "inbound-rtp") {
        totals.packetsReceived += Number(s.packetsReceived ?? 0);
        totals.concealedSamples += Number(s.concealedSamples ?? 0);
        totals.totalSamplesReceived += Number(s.totalSamplesReceived ?? 0);
      }
      if (s.type === "outbound-rtp") totals.packetsSent += Number(s.packetsSent ?? 0);
    }
    return totals;
  }

  /** libwebrtc does not show the RTP timestamps it sends: the gateway would fall back to its estimate. */
  playedMsAt(): number | undefined {
    return undefined;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.sink?.stop();
    this.track.stop();
    this.pc.close();
  }

  private receive(d: AudioData): void {
    if (this.closed) return;
    const channels = d.channelCount ?? 1;
    this.sinkFormat = `${d.sampleRate} Hz × ${channels}`;
    let mono = d.samples;
    if (channels > 1) {
      mono = new Int16Array(d.samples.length / channels);
      for (let i = 0; i < mono.length; i++) mono[i] = d.samples[i * channels]!;
    }
    const pcm = resample(mono, d.sampleRate, INPUT_RATE);
    for (const l of this.audioListeners) l(pcm);
  }

  /** The same steady clock as WeriftPeer: silence between answers, in 10 ms frames. */
  private startClock(): void {
    if (this.timer || this.closed) return;
    this.clockStart = performance.now();
    const tick = () => {
      if (this.closed) return;
      const due = Math.floor((performance.now() - this.clockStart) / WRTC_FRAME_MS);
      while (this.framesSent < due) {
        const next = this.queue.take(WRTC_FRAME);
        if (next) this.sentSamples += next.filled;
        this.source.onData({
          samples: next?.samples ?? this.silence,
          sampleRate: OUTPUT_RATE,
          bitsPerSample: 16,
          channelCount: 1,
          numberOfFrames: WRTC_FRAME,
        });
        this.framesSent++;
      }
      this.timer = setTimeout(tick, OUTPUT_FRAME_MS / 2);
    };
    tick();
  }
}

// ---------------------------------------------------------------------------------------------
// IPC between the bench and its two processes.

type Request =
  | { type: "offers"; calls: number }
  | { type: "answer"; sdps: string[] }
  | { type: "answers"; sdps: string[]; from: number }
  | { type: "connected" }
  | { type: "audio" }
  | { type: "mark" };
interface Mark {
  cpuUs: number;
  wallMs: number;
  rx: Flow;
  tx: Flow;
  connected: number;
  note: string;
}
type Reply = { sdps: string[] } | Mark | { ok: true };

function serve(handle: (req: Request) => Promise<Reply>) {
  process.on("message", (m: { id: number; req: Request }) => {
    handle(m.req).then(
      (reply) => process.send!({ id: m.id, reply }),
      (e: unknown) => process.send!({ id: m.id, error: String(e) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.send!({ ready: true });
}

/** Counters since the previous mark. */
function marker() {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return (rx: Flow, tx: Flow, connected: number, note = ""): Mark => {
    const now = process.cpuUsage();
    const at = performance.now();
    const m = {
      cpuUs: now.user - cpu.user + now.system - cpu.system,
      wallMs: at - wall,
      rx: { ...rx },
      tx: { ...tx },
      connected,
      note,
    };
    cpu = now;
    wall = at;
    Object.assign(rx, emptyFlow());
    Object.assign(tx, emptyFlow());
    return m;
  };
}

// ---------------------------------------------------------------------------------------------
// The server process: N peers of one library, agent speech played into each, the person's counted.

async function server(lib: Lib) {
  const wrtc = lib === "wrtc" ? (createRequire(import.meta.url)("@roamhq/wrtc") as Wrtc) : undefined;
  const loop = await speechLoop(
    "Your order has shipped and should arrive on Thursday. Is there anything else I can help you with today?",
    "alloy",
  );
  const peers: { peer: MediaPeer; next: (n: number) => Int16Array }[] = [];
  const rx = emptyFlow();
  const tx = emptyFlow();
  let connected = 0;
  let feeding: NodeJS.Timeout | undefined;
  const mark = marker();
  // play() as the gateway does: a few hundred ms queued ahead of the peer's clock.
  const feed = () => {
    for (const { peer, next } of peers)
      while (peer.queuedMs() - peer.sentMs() < 300) peer.play(next(OUTPUT_RATE / 10));
  };
  let sentBefore = 0;
  let statsBefore = { packetsReceived: 0, packetsSent: 0, concealedSamples: 0, totalSamplesReceived: 0 };
  const sentNow = () => peers.reduce((s, p) => s + p.peer.sentMs(), 0);
  serve(async (req) => {
    switch (req.type) {
      case "answer": {
        const sdps = await Promise.all(
          req.sdps.map((offer) => {
            const peer = wrtc ? new WrtcPeer(wrtc) : new WeriftPeer({ host: "127.0.0.1" });
            const i = peers.length;
            peers.push({ peer, next: loop(i * 4_800) });
            peer.onState((s) => {
              if (s === "connected") connected++;
              if (s === "failed") console.error(`server: call ${i} ${s}`);
            });
            peer.onAudio((pcm) => addPcm(rx, pcm, INPUT_RATE));
            return peer.answer(offer);
          }),
        );
        return { sdps };
      }
      case "audio":
        feed();
        feeding = setInterval(feed, 100);
        return { ok: true };
      case "mark": {
        // What was sent is the agent audio played out (sentMs), not silence frames.
        const sent = sentNow();
        tx.ms = sent - sentBefore;
        sentBefore = sent;
        const m = mark(rx, tx, connected);
        const wrtcPeers = peers.flatMap(({ peer }) => (peer instanceof WrtcPeer ? [peer] : []));
        if (wrtcPeers.length > 0) {
          // libwebrtc's sink plays out in real time whatever arrives (concealing the gaps), so its
          // PCM proves little: the packets and the concealed share do.
          const all = await Promise.all(wrtcPeers.map((p) => p.stats()));
          const now = {
            packetsReceived: all.reduce((s, t) => s + t.packetsReceived, 0),
            packetsSent: all.reduce((s, t) => s + t.packetsSent, 0),
            concealedSamples: all.reduce((s, t) => s + t.concealedSamples, 0),
            totalSamplesReceived: all.reduce((s, t) => s + t.totalSamplesReceived, 0),
          };
          const d = (k: keyof typeof now) => now[k] - statsBefore[k];
          m.note =
            `sink ${wrtcPeers[0]!.sinkFormat}; RTP packets in ${d("packetsReceived")}, out ${d("packetsSent")}, ` +
            `concealed ${((d("concealedSamples") / Math.max(1, d("totalSamplesReceived"))) * 100).toFixed(1)} %`;
          statsBefore = now;
        } else if (peers.length > 0) {
          const heap = opusHeap();
          m.note = `Opus: ${heap.codecs} codecs open, heap ${(heap.bytes / 2 ** 20).toFixed(0)} MB`;
        }
        return m;
      }
      default:
        throw new Error(`server: no ${req.type}`);
    }
  });
  process.on("exit", () => {
    clearInterval(feeding);
    for (const p of peers) p.peer.close();
  });
}

// ---------------------------------------------------------------------------------------------
// The client process: werift peers as tests/helpers/voice-client.ts makes them, the person speaking.

const CLIENT_RATE = 24_000;
const CLIENT_FRAME = 480; // 20 ms

async function client() {
  const loop = await speechLoop(
    "I would like to know where my parcel is. It was due on Monday and it has not come yet.",
    "nova",
  );
  const calls: {
    pc: RTCPeerConnection;
    track: MediaStreamTrack;
    enc: OpusEncoder;
    dec: OpusDecoder;
    next: (n: number) => Int16Array;
    seq: number;
    ts: number;
  }[] = [];
  const rx = emptyFlow();
  const tx = emptyFlow();
  let connected = 0;
  const mark = marker();
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    const start = performance.now();
    let sent = 0;
    const tick = () => {
      const due = Math.floor((performance.now() - start) / 20);
      for (; sent < due; sent++)
        for (const c of calls) {
          const pcm = c.next(CLIENT_FRAME);
          addPcm(tx, pcm, CLIENT_RATE);
          const payload = c.enc.encode(pcm);
          c.track.writeRtp(
            new RtpPacket(
              new RtpHeader({ payloadType: 111, sequenceNumber: c.seq, timestamp: c.ts }),
              payload,
            ),
          );
          c.seq = (c.seq + 1) & 0xffff;
          c.ts = (c.ts + 960) >>> 0;
        }
      timer = setTimeout(tick, 10);
    };
    tick();
  };
  serve(async (req) => {
    switch (req.type) {
      case "offers": {
        const sdps = await Promise.all(
          Array.from({ length: req.calls }, async (_, i) => {
            const pc = new RTCPeerConnection({
              codecs: {
                audio: [
                  new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 }),
                ],
                video: [],
              },
              iceUseIpv4: false,
              iceUseIpv6: false,
              iceAdditionalHostAddresses: ["127.0.0.1"],
            });
            const c = {
              pc,
              track: new MediaStreamTrack({ kind: "audio" }),
              enc: new OpusEncoder(CLIENT_RATE),
              dec: new OpusDecoder(CLIENT_RATE),
              next: loop(i * 7_200),
              seq: 1000,
              ts: 5000,
            };
            calls.push(c);
            const t = pc.addTransceiver(c.track, { direction: "sendrecv" });
            t.onTrack.subscribe((track) =>
              track.onReceiveRtp.subscribe((rtp) => {
                if (rtp.payload.length === 0) return;
                addPcm(rx, c.dec.decode(rtp.payload), CLIENT_RATE);
              }),
            );
            pc.connectionStateChange.subscribe((s) => {
              if (s === "connected") connected++;
            });
            await pc.setLocalDescription(await pc.createOffer());
            if (pc.iceGatheringState !== "complete")
              await new Promise<void>((r) =>
                pc.iceGatheringStateChange.subscribe((s) => s === "complete" && r()),
              );
            return pc.localDescription!.sdp;
          }),
        );
        return { sdps };
      }
      case "answers":
        await Promise.all(
          req.sdps.map((sdp, i) => calls[req.from + i]!.pc.setRemoteDescription({ type: "answer", sdp })),
        );
        return { ok: true };
      case "audio":
        pump();
        return { ok: true };
      case "mark":
        return mark(rx, tx, connected);
      default:
        throw new Error(`client: no ${req.type}`);
    }
  });
  process.on("exit", () => {
    clearTimeout(timer);
    for (const c of calls) void c.pc.close().catch(() => undefined);
  });
}

// ---------------------------------------------------------------------------------------------
// The bench.

function spawnRole(role: "server" | "client", lib: Lib) {
  const child = fork(fileURLToPath(import.meta.url), ["--role", role, lib], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let id = 0;
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (m: { ready?: boolean; id?: number; reply?: Reply; error?: string }) => {
      if (m.ready) return resolve();
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      if (m.error) w?.reject(new Error(`${role}: ${m.error}`));
      else w?.resolve(m.reply!);
    });
    child.once("exit", (code) => {
      const e = new Error(`${role} exited (${code})`);
      reject(e);
      for (const w of waiting.values()) w.reject(e);
    });
  });
  const ask = <T extends Reply>(req: Request) =>
    new Promise<T>((resolve, reject) => {
      waiting.set(++id, { resolve: resolve as (r: Reply) => void, reject });
      child.send({ id, req });
    });
  return { child, ready, ask };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.disconnect();
  await Promise.race([gone, sleep(5_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

interface Run {
  lib: Lib;
  calls: number;
  empty: Mark;
  idle: Mark;
  audio: Mark;
  client: Mark;
  clientCpu: number;
}

const CONNECT_BATCH = 10;
const pctCore = (m: Mark) => (m.cpuUs / 1000 / m.wallMs) * 100;

async function run(lib: Lib, calls: number, seconds: number): Promise<Run> {
  const srv = spawnRole("server", lib);
  const cli = spawnRole("client", lib);
  try {
    await Promise.all([srv.ready, cli.ready]);
    await sleep(2_000);
    await srv.ask<Mark>({ type: "mark" });
    await sleep(Math.min(5, seconds / 2) * 1000);
    const empty = await srv.ask<Mark>({ type: "mark" });
    const { sdps: offers } = await cli.ask<{ sdps: string[] }>({ type: "offers", calls });
    // Connected ten at a time: a hundred DTLS handshakes at once on a busy machine time out.
    for (let from = 0; from < calls; from += CONNECT_BATCH) {
      const batch = offers.slice(from, from + CONNECT_BATCH);
      const { sdps: answers } = await srv.ask<{ sdps: string[] }>({ type: "answer", sdps: batch });
      await cli.ask({ type: "answers", sdps: answers, from });
      const until = Date.now() + 20_000;
      for (;;) {
        const [s, c] = await Promise.all([srv.ask<Mark>({ type: "mark" }), cli.ask<Mark>({ type: "mark" })]);
        if (s.connected >= from + batch.length && c.connected >= from + batch.length) break;
        if (Date.now() > until)
          throw new Error(`${lib}: ${s.connected}/${c.connected} of ${calls} calls connected`);
        await sleep(100);
      }
    }
    await sleep(2_000);
    await srv.ask<Mark>({ type: "mark" });
    await sleep((seconds / 2) * 1000);
    const idle = await srv.ask<Mark>({ type: "mark" });
    await Promise.all([srv.ask({ type: "audio" }), cli.ask({ type: "audio" })]);
    await sleep(1_000);
    await Promise.all([srv.ask<Mark>({ type: "mark" }), cli.ask<Mark>({ type: "mark" })]);
    await sleep(seconds * 1000);
    const [audio, client] = await Promise.all([
      srv.ask<Mark>({ type: "mark" }),
      cli.ask<Mark>({ type: "mark" }),
    ]);
    return { lib, calls, empty, idle, audio, client, clientCpu: pctCore(client) };
  } finally {
    await Promise.all([stop(srv.child), stop(cli.child)]);
  }
}

function report(r: Run) {
  const n = r.calls;
  const [empty, idle, audio] = [pctCore(r.empty), pctCore(r.idle), pctCore(r.audio)];
  const perCall = (audio - empty) / n;
  const expected = r.audio.wallMs * n;
  // Both ends must have kept real time, or less audio was handled and the figure is too low (a
  // busy machine starves the clients first): each way ≥ 90 % of real time, and for libwebrtc, whose
  // sink plays out in real time regardless, little concealed.
  const concealed = Number(/concealed ([\d.]+) %/.exec(r.audio.note)?.[1] ?? 0);
  const valid =
    r.client.tx.ms >= 0.9 * expected &&
    r.audio.rx.ms >= 0.9 * expected &&
    r.client.rx.ms >= 0.9 * expected &&
    concealed <= 10;
  const arrived = (f: Flow) =>
    `${((f.ms / expected) * 100).toFixed(0)} % of real time, RMS ${rms(f).toFixed(0)}`;
  console.log(
    [
      `${r.lib}, ${n} call${n > 1 ? "s" : ""} (server process, % of one core):`,
      `  audio both ways   ${audio.toFixed(1)} % → ${perCall.toFixed(2)} % per call above the empty process (${(audio / n).toFixed(2)} % gross)`,
      `  baseline: empty process ${empty.toFixed(1)} %; connected, no audio ${idle.toFixed(1)} % (${((idle - empty) / n).toFixed(2)} % per call)`,
      `  person → server: ${arrived(r.audio.rx)} (client sent ${((r.client.tx.ms / expected) * 100).toFixed(0)} %)`,
      `  server → person: ${arrived(r.client.rx)} (server played out ${((r.audio.tx.ms / expected) * 100).toFixed(0)} % agent audio)`,
      `  client process ${r.clientCpu.toFixed(0)} % of a core${r.audio.note ? `; ${r.audio.note}` : ""}`,
      ...(valid ? [] : ["  NOT VALID: the audio did not flow in real time (machine too busy?)"]),
    ].join("\n"),
  );
  return { lib: r.lib, calls: n, perCall, idle: (idle - empty) / n, empty, valid };
}

async function main() {
  const calls = Number(process.argv[2] ?? 10);
  const seconds = Number(process.argv[3] ?? 20);
  const libs = (process.argv[4]?.split(",") ?? LIBS).filter((l): l is Lib => LIBS.includes(l as Lib));
  console.log(
    `media-peer-cpu: ${calls} and 1 call(s), ${seconds} s of audio each; ${os.cpus().length} cores, ` +
      `Node ${process.version}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  const rows = [];
  for (const n of [...new Set([calls, 1])])
    for (const lib of libs) {
      try {
        rows.push(report(await run(lib, n, seconds)));
      } catch (e) {
        console.log(`${lib}, ${n} call(s): FAILED: ${(e as Error).message}`);
      }
    }
  console.log("\nsummary: % of one core per call above the empty process (audio both ways; connected idle)");
  for (const r of rows)
    console.log(
      `  ${r.lib.padEnd(6)} ${String(r.calls).padStart(3)} call(s): ${r.perCall.toFixed(2)} %; idle ${r.idle.toFixed(2)} %; empty ${r.empty.toFixed(1)} %${r.valid ? "" : " (NOT VALID)"}`,
    );
}

const role = process.argv[2] === "--role" ? process.argv[3] : undefined;
if (role === "server") await server(process.argv[4] as Lib);
else if (role === "client") await client();
else await main();
