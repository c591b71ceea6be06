// The gateway's processes on one host: how many (server.processes), which worker a connection goes
// to (sticky socket.io sessions), and each worker's WebRTC ports.
import { describe, expect, it } from "vitest";
import { gatewayProcessCount } from "@/server/cluster/processes";
import { portSlices } from "@/server/cluster/port-slices";
import {
  MAX_REQUEST_LINE,
  requestLine,
  slotOfRequestLine,
  slotOfTarget,
  stickySessionId,
} from "@/server/cluster/sticky";

describe("gatewayProcessCount", () => {
  it("defaults to one per core in production and one in test", () => {
    expect(gatewayProcessCount({ setting: 0, nodeEnv: "production", cores: 4 }).count).toBe(4);
    expect(gatewayProcessCount({ setting: 0, nodeEnv: "test", cores: 4 }).count).toBe(1);
  });

  it("runs one process in development whatever the setting (hot reload restarts that one)", () => {
    for (const nodeEnv of ["development", undefined, ""])
      expect(gatewayProcessCount({ setting: 4, nodeEnv, cores: 8 })).toMatchObject({
        count: 1,
        reason: expect.stringContaining("development") as string,
      });
  });

  it("takes the setting up to the cores, and caps it there", () => {
    expect(gatewayProcessCount({ setting: 2, nodeEnv: "production", cores: 4 }).count).toBe(2);
    expect(gatewayProcessCount({ setting: 2, nodeEnv: "test", cores: 2 }).count).toBe(2);
    expect(gatewayProcessCount({ setting: 8, nodeEnv: "production", cores: 2 })).toEqual({
      count: 2,
      reason: "server.processes=8, capped at the 2 cores",
    });
    expect(gatewayProcessCount({ setting: 1, nodeEnv: "production", cores: 16 }).count).toBe(1);
  });
});

describe("sticky routing", () => {
  it("makes URL-safe session ids that name the slot", () => {
    const id = stickySessionId(3);
    expect(id).toMatch(/^g3-[A-Za-z0-9_-]{20}$/);
    expect(stickySessionId(3)).not.toBe(id);
    expect(slotOfTarget(`/socket.io/?EIO=4&transport=polling&sid=${id}`)).toBe(3);
    expect(slotOfTarget(`/socket.io/?sid=${stickySessionId(12)}&EIO=4&transport=websocket`)).toBe(12);
  });

  it("routes handshakes, other paths and foreign ids by round-robin (no slot)", () => {
    expect(slotOfTarget("/socket.io/?EIO=4&transport=polling")).toBeUndefined();
    // A sid-looking parameter outside socket.io's path is not a session.
    expect(slotOfTarget(`/api/v1/sessions?sid=${stickySessionId(1)}`)).toBeUndefined();
    // engine.io's own ids (another gateway version) name no slot.
    expect(slotOfTarget("/socket.io/?EIO=4&transport=polling&sid=AbCdEfGhIjKlMnOpQrSt")).toBeUndefined();
    expect(slotOfTarget("/socket.io/?EIO=4&transport=polling&xsid=g1-abc")).toBeUndefined();
    expect(slotOfTarget(undefined)).toBeUndefined();
  });

  it("waits for a whole request line, and gives up on one too long to be HTTP", () => {
    expect(requestLine(Buffer.from("GET /socket.io/?EIO=4&sid=g1-"))).toBeUndefined();
    const line = requestLine(
      Buffer.from("GET /socket.io/?EIO=4&transport=polling&sid=g1-x HTTP/1.1\r\nHost: a\r\n"),
    );
    expect(line).toBe("GET /socket.io/?EIO=4&transport=polling&sid=g1-x HTTP/1.1");
    expect(slotOfRequestLine(line!)).toBe(1);
    expect(requestLine(Buffer.alloc(MAX_REQUEST_LINE, "a"))).toBe("");
    expect(slotOfRequestLine("")).toBeUndefined();
  });
});

describe("portSlices", () => {
  it("cuts the range into disjoint slices covering it", () => {
    expect(portSlices([40000, 40049], 2)).toEqual([
      [40000, 40024],
      [40025, 40049],
    ]);
    const slices = portSlices([40000, 40009], 3);
    expect(slices).toEqual([
      [40000, 40003],
      [40004, 40006],
      [40007, 40009],
    ]);
    expect(portSlices([5000, 5000], 1)).toEqual([[5000, 5000]]);
  });

  it("refuses a range with fewer ports than processes", () => {
    expect(() => portSlices([40000, 40002], 4)).toThrow(/3 port\(s\) for 4 gateway processes/);
  });
});
