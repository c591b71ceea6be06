// The scheduler refuses to start unless every job name has exactly one handler.
import { describe, expect, it } from "vitest";
import { handlerTable, JOB_NAMES, type JobHandler } from "@/lib/jobs/registry";

const handler = (name: string): JobHandler => ({ name, handle: async () => undefined });

describe("handlerTable", () => {
  it("maps each job to its one handler", () => {
    const table = handlerTable(JOB_NAMES.map(handler));
    expect([...table.keys()].sort()).toEqual([...JOB_NAMES].sort());
  });

  it("refuses a job without a handler", () => {
    expect(() => handlerTable([handler("schedule.tick")])).toThrow(/schedule\.fire: no handler/);
  });

  it("refuses a job with two handlers", () => {
    expect(() => handlerTable([...JOB_NAMES.map(handler), handler("schedule.fire")])).toThrow(
      /schedule\.fire: more than one handler/,
    );
  });

  it("refuses a handler for a job that does not exist", () => {
    expect(() => handlerTable([...JOB_NAMES.map(handler), handler("schedule.frie")])).toThrow(
      /schedule\.frie: handler for a job that does not exist/,
    );
  });
});
