// The migration job's push replaces the module OPA already has for a policy file, whoever loaded it.
import { describe, expect, it } from "vitest";
import { opaModuleId } from "@/lib/jobs/migrations";

describe("opaModuleId", () => {
  it("is the pushed id on an empty OPA", () => {
    expect(opaModuleId("somaagent/tools.rego", [])).toBe("somaagent/tools");
  });
  it("keeps an earlier push's id", () => {
    expect(opaModuleId("somaagent/tools.rego", ["somaagent/requests", "somaagent/tools"])).toBe(
      "somaagent/tools",
    );
  });
  it("is the file OPA loaded at start (native checkout or compose mount)", () => {
    const native = ["work/repo/conf/opa/somaagent/tools.rego", "work/repo/conf/opa/system/health.rego"];
    expect(opaModuleId("somaagent/tools.rego", native)).toBe(native[0]);
    expect(opaModuleId("somaagent/tools.rego", ["policies/somaagent/tools.rego"])).toBe(
      "policies/somaagent/tools.rego",
    );
  });
  it("does not take a file whose name only ends the same", () => {
    expect(opaModuleId("somaagent/tools.rego", ["policies/xsomaagent/tools.rego", "other/tools.rego"])).toBe(
      "somaagent/tools",
    );
  });
});
