// bench/realtime-relay.ts's offline provider, in a process of its own (its werift peers and sidebands
// off the pages' event loop): the stub's Realtime API on loopback, each server event stamped with
// `stamp()` as it is sent. Forked by the bench with the key and the phrase standing for a tool call;
// sends {ready: {url}}, then pushes `{event: {callId, type, at, …}}` for the events the bench waits on
// (first sidebands, and every event while recording), and answers:
//   record {on}              start or stop pushing every event
//   inject {calls, seconds, perSecond, tag}
//                            its own sideband to each call sends an unknown client event `perSecond`
//                            times a second for `seconds`: the stub answers each with an `error` to every
//                            sideband of the call (the gateway's too), whose message carries the token
//                            `bench.<tag>.<call index>.<k>`; resolves when all are sent
//   errors {tag}             [token, sent at] of those error events
//   (and, as every bench child, the clock check and lag-reset / lag: bench/lib/child-rpc.ts)
import WebSocket from "ws";
import { startStubProvider } from "../../server/offline-provider/server";
import { sayStandsFor } from "../../server/offline-provider/script";
import { serve, stamp } from "./child-rpc";

const [key, phrase, directive] = process.argv.slice(2);
if (!key || !phrase || !directive) throw new Error("usage: realtime-stub-process.ts KEY PHRASE DIRECTIVE");

const TOKEN = /'bench\.(\d+)\.(\d+\.\d+)'/;
let recording = false;
/** Error events sent, by tag: token → when. */
const errorsSent = new Map<number, Map<string, number>>();

sayStandsFor(phrase, directive);
const stub = await startStubProvider({
  apiKey: key,
  webrtc: { host: "127.0.0.1" },
  onRealtimeEvent: (callId, event) => {
    const at = stamp();
    const type = String(event.type);
    if (type === "error") {
      const m = TOKEN.exec(String((event.error as { message?: unknown }).message));
      if (m) {
        const byTag = errorsSent.get(Number(m[1])) ?? new Map<string, number>();
        errorsSent.set(Number(m[1]), byTag);
        byTag.set(`bench.${m[1]}.${m[2]}`, at);
        return; // a fan-out event: only its time is kept
      }
    }
    if (type === "session.created" || recording) process.send!({ event: { callId, type, at, event } });
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sideband(callId: string): Promise<WebSocket> {
  const url = `${stub.url.replace(/^http/, "ws")}/realtime?call_id=${encodeURIComponent(callId)}`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

async function inject(calls: string[], seconds: number, perSecond: number, tag: number): Promise<number> {
  const sockets = await Promise.all(calls.map(sideband));
  const period = 1000 / perSecond;
  const n = Math.round(seconds * perSecond);
  await Promise.all(
    sockets.map(async (ws, i) => {
      await sleep((i * period) / sockets.length); // spread over the period, as independent calls are
      const start = performance.now();
      for (let k = 0; k < n; k++) {
        ws.send(JSON.stringify({ type: `bench.${tag}.${i}.${k}` }));
        await sleep(Math.max(0, start + (k + 1) * period - performance.now()));
      }
    }),
  );
  await sleep(200); // the last answers sent
  for (const ws of sockets) ws.close();
  return n * sockets.length;
}

serve(async (req) => {
  switch (req.type) {
    case "record":
      recording = req.on === true;
      return null;
    case "inject":
      return inject(req.calls as string[], Number(req.seconds), Number(req.perSecond), Number(req.tag));
    case "errors":
      return [...(errorsSent.get(Number(req.tag)) ?? new Map<string, number>())];
    default:
      throw new Error(`no request ${req.type}`);
  }
});
process.on("exit", () => void stub.close());
process.send!({ ready: { url: stub.url } });
