// A cancel that reaches the executor between claiming a call and handing it to the tool host (the
// call is already "running") still stops it: the call is never started.
import { describe, expect, it } from "vitest";
import { ToolHost } from "@/lib/executor/tool-host";
import type { HostRequest } from "@/lib/executor/tool-host-protocol";

describe("ToolHost cancel before the call arrives", () => {
  it("answers the call as killed without starting it", async () => {
    const host = new ToolHost();
    expect(host.cancel("call-1")).toBe(false); // not running here (yet)
    const outcome = await host.run(
      { tool: "code_execution", args: {}, ctx: { toolCallId: "call-1" } } as unknown as Omit<
        HostRequest,
        "id"
      >,
      1_000,
    );
    expect(outcome).toEqual({
      status: "killed",
      error: "cancelled: the turn was stopped before the tool started",
    });
    host.close(); // nothing was forked
  });
});
