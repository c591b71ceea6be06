// Every tool by name, each defined in its own file, with its arguments as JSON schema.
import { z } from "zod";
import { codeExecutionTool } from "./code-execution";
import { httpRequestTool } from "./http-request";
import { memoryForgetTool, memorySaveTool, memorySearchTool } from "./memory";
import { responseTool } from "./response";
import type { ToolDefinition } from "./types";
import { workspaceFilesTool } from "./workspace-files";

const TOOLS: ToolDefinition[] = [
  codeExecutionTool,
  workspaceFilesTool,
  httpRequestTool,
  memorySaveTool,
  memorySearchTool,
  memoryForgetTool,
  responseTool,
] as ToolDefinition[];
const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export function findTool(name: string): ToolDefinition | undefined {
  return BY_NAME.get(name);
}

export function listTools(): ToolDefinition[] {
  return TOOLS;
}

export function toolSchema(tool: ToolDefinition) {
  return {
    name: tool.name,
    description: tool.description,
    needsNetwork: tool.needsNetwork,
    parameters: z.toJSONSchema(tool.args, { io: "input" }),
  };
}
