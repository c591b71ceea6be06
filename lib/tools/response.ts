// response: the agent's final answer. It only returns its validated text.
import { z } from "zod";
import { defineTool } from "./types";

export const responseTool = defineTool({
  name: "response",
  description: "Give the final answer to the user and end the turn.",
  args: z.object({ text: z.string().min(1).max(100_000) }).strict(),
  needsNetwork: false,
  async run(args) {
    return { status: "succeeded", output: { text: args.text } };
  },
});
