// The chat benches' offline provider (bench/chat-latency.ts, bench/turn-start.ts) in a process of its
// own, so that it and the bench's clients do not share an event loop: a stall of the clients'
// process between the provider's stamp and the client's no longer counts as the gateway's time, and
// the provider's own work (200 requests parsed, 200 streams written) no longer delays the clients.
// Each chat request's arrival and each streamed answer's first token is stamped with `stamp()` as it
// happens and pushed to the bench, a tick's stamps in one message: {stamps: [[kind, message, at], …]}
// (kind "arrived" or "first", message the request's last user message). Answers what every bench
// child does (bench/lib/child-rpc.ts: the clock check, lag-reset / lag). Sends {ready: {url}} once
// listening. Parent side: bench/lib/chat-provider.ts.
import { startStubProvider } from "../../server/offline-provider/server";
import { serve, stamp } from "./child-rpc";

type Stamp = [kind: "arrived" | "first", message: string, at: number];
let pending: Stamp[] = [];

function push(s: Stamp) {
  if (pending.length === 0)
    setImmediate(() => {
      process.send!({ stamps: pending });
      pending = [];
    });
  pending.push(s);
}

const stub = await startStubProvider({
  onChatRequest: (m, at) => push(["arrived", m, at]),
  onFirstToken: (m) => push(["first", m, stamp()]),
});

// Nothing to ask beyond what every bench child answers (the clock, its event-loop delay).
serve((req) => {
  throw new Error(`no request ${req.type}`);
});
process.on("exit", () => void stub.close());
process.send!({ ready: { url: stub.url } });
