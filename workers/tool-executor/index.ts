// Tool executor process: consumes tool requests from the bus, answers each with a result.
// Requests that fail validation go to the dead-letter channel with the reason; the consumer goes on.
import { loadConfigOrExit } from "../../server/config";
import { configureLogger, logger } from "../../lib/server/logger";
import { createBus, toolRequestSchema, type ToolResult } from "../../lib/bus";
import { findTool } from "../../lib/tools/registry";
import { onShutdown } from "../shutdown";

const { settings } = loadConfigOrExit("tool-executor");
configureLogger({ level: settings.server.logLevel, name: "tool-executor" });
const log = logger();
const bus = createBus(settings, `${settings.kafka.clientId}-executor`);

async function handle(raw: string): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = toolRequestSchema.safeParse(json);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
      .join("; ");
    log.warn({ reason }, "invalid tool request sent to dead-letter");
    await bus.publish("deadLetter", "invalid", {
      version: 1,
      reason,
      source: "tools",
      raw: raw.slice(0, 10_000),
      at: new Date().toISOString(),
    });
    return;
  }
  const request = parsed.data;
  const l = log.child({ toolCallId: request.toolCallId, sessionId: request.sessionId, tool: request.tool });
  const tool = findTool(request.tool);
  let result: ToolResult;
  if (!tool) {
    result = {
      version: 1,
      toolCallId: request.toolCallId,
      sessionId: request.sessionId,
      status: "failed",
      error: `unknown tool "${request.tool}"`,
      finishedAt: new Date().toISOString(),
    };
  } else {
    try {
      const output = await tool.run(request.arguments);
      result = {
        version: 1,
        toolCallId: request.toolCallId,
        sessionId: request.sessionId,
        status: "succeeded",
        output,
        finishedAt: new Date().toISOString(),
      };
    } catch (err) {
      result = {
        version: 1,
        toolCallId: request.toolCallId,
        sessionId: request.sessionId,
        status: "failed",
        error: err instanceof Error ? err.message : String(err),
        finishedAt: new Date().toISOString(),
      };
    }
  }
  await bus.publish("toolResults", request.sessionId, result);
  l.info({ status: result.status }, "tool call handled");
}

await bus.consume("tools", "tool-executor", handle, { concurrency: 4 });
log.info({ transport: bus.transport }, "tool executor ready");
onShutdown(log, [() => bus.close()]);
