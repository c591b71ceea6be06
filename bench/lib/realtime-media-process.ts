// bench/realtime-relay.ts's WebRTC clients (the browsers' media), in a process of their own: the
// provider's media to them is SRTP decrypted in JavaScript, which must not delay the pages' sockets
// in the bench process. Sends {ready: true}, then answers:
//   offer                    a fresh sendrecv audio peer's complete offer: {id, sdp}
//   connect {id, sdp}        applies the answer; resolves with `stamp()` when ICE and DTLS are connected
//   close {id}               closes the peer
//   (and, as every bench child, the clock check and lag-reset / lag: bench/lib/child-rpc.ts)
import type { RTCPeerConnection } from "werift";
import { connected, offeringPeer } from "../realtime-relay-peer";
import { serve } from "./child-rpc";

const peers = new Map<number, RTCPeerConnection>();
let next = 0;

serve(async (req) => {
  switch (req.type) {
    case "offer": {
      const { pc, sdp } = await offeringPeer();
      peers.set(++next, pc);
      return { id: next, sdp };
    }
    case "connect":
      return connected(peers.get(Number(req.id))!, String(req.sdp));
    case "close": {
      const pc = peers.get(Number(req.id));
      peers.delete(Number(req.id));
      await pc?.close();
      return null;
    }
    default:
      throw new Error(`no request ${req.type}`);
  }
});
process.on("exit", () => {
  for (const pc of peers.values()) void pc.close().catch(() => undefined); // exiting: nothing to tell
});
process.send!({ ready: true });
