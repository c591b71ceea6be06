// The tools the executor can run, by name. Each tool lives in its own file and declares its
// JSON-schema arguments; sandboxed tools arrive with the tool-executor work.
import { z } from "zod";

export interface Tool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  run(args: Record<string, unknown>): Promise<unknown>;
}

const responseArgs = z.object({ text: z.string() });

/** `response`: the agent's final answer. Needs no sandbox: it only echoes validated text. */
const responseTool: Tool = {
  name: "response",
  description: "Give the final answer to the user.",
  parameters: {
    type: "object",
    properties: { text: { type: "string" } },
    required: ["text"],
    additionalProperties: false,
  },
  async run(args) {
    return { text: responseArgs.parse(args).text };
  },
};

const TOOLS = new Map<string, Tool>([[responseTool.name, responseTool]]);

export function findTool(name: string): Tool | undefined {
  return TOOLS.get(name);
}

export function listTools(): Tool[] {
  return [...TOOLS.values()];
}
