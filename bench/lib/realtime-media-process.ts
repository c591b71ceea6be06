// bench/realtime-relay.ts's WebRTC clients (the browsers' media), in a process of their own: the
// provider's media to them is SRTP decrypted in JavaScript, which must not delay the pages' sockets
// in the bench process. Sends {ready: true}, then answers:
//   offer                    a fresh sendrecv audio peer's complete offer: {id, sdp}
//   connect {id, sdp}        applies the answer; resolves with `stamp()` when ICE and DTLS are connected
//   close {id}               closes the peer
//   lag-reset / lag          this process's event-loop delay between the two
import type { RTCPeerConnection } from "werift";
import { connected, offeringPeer } from "../realtime-relay-peer";
import { loopDelay, serve } from "./child-rpc";

const peers = new Map<number, RTCPeerConnection>();
let next = 0;
const lag = loopDelay();

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
    case "lag-reset":
      lag.reset();
      return null;
    case "lag":
      return lag.read();
    default:
      throw new Error(`no request ${req.type}`);
  }
});
process.on("exit", () => {
  for (const pc of peers.values()) void pc.close().catch(() => undefined); // exiting: nothing to tell
});
process.send!({ ready: true });
