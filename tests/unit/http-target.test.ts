// Where http_request may connect (pure checks on addresses; no traffic leaves loopback in tests).
import { describe, expect, it } from "vitest";
import { decideTarget, internalAddress } from "@/lib/tools/http-target";

describe("internalAddress", () => {
  it("names loopback, private, link-local, metadata, unspecified and multicast addresses", () => {
    const cases: [string, string][] = [
      ["127.0.0.1", "loopback"],
      ["127.8.9.1", "loopback"],
      ["::1", "loopback"],
      ["::ffff:127.0.0.1", "loopback"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["172.31.255.255", "private"],
      ["192.168.0.10", "private"],
      ["100.64.0.1", "private"],
      ["fd12:3456::1", "private"],
      ["fd00:ec2::254", "metadata"],
      ["fd00:0ec2:0:0:0:0:0:254", "metadata"],
      ["169.254.169.254", "link-local"],
      ["fe80::1", "link-local"],
      ["0.0.0.0", "unspecified"],
      ["::", "unspecified"],
      ["224.0.0.1", "multicast"],
      ["240.0.0.1", "reserved"],
      ["ff02::1", "multicast"],
    ];
    for (const [ip, why] of cases) expect(internalAddress(ip), ip).toBe(why);
  });
  it("lets public addresses through", () => {
    for (const ip of ["93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "8.8.8.8"])
      expect(internalAddress(ip), ip).toBeUndefined();
  });
});

describe("decideTarget", () => {
  const pub = { address: "93.184.216.34", family: 4 };
  const meta = { address: "169.254.169.254", family: 4 };
  it("pins the first resolved address of a public host", () => {
    expect(decideTarget("example.com", [pub], false)).toEqual({ ok: true, address: pub.address, family: 4 });
  });
  it("refuses a name allowed by wildcard that resolves inside the network (a rebinding answer too)", () => {
    const d = decideTarget("evil.example.com", [pub, meta], false);
    expect(d).toMatchObject({ ok: false });
    expect(!d.ok && d.reason).toContain("169.254.169.254");
  });
  it("allows an internal address only for a host the allow-list names exactly", () => {
    expect(decideTarget("127.0.0.1", [{ address: "127.0.0.1", family: 4 }], true)).toMatchObject({
      ok: true,
    });
    expect(decideTarget("nothing.example", [], true)).toMatchObject({ ok: false });
  });
});
