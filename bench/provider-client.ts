// The gateway's side of a streamed provider request: the CPU the client costs, per request and per
// chunk, the openai SDK's `chat.completions.create` (what turns used before) against
// lib/agent/chat-stream.ts (what they use now), and how long a round of N requests sent at once takes
// to be answered. The provider is a minimal SSE server in a child process (the same fixed answer of
// WORDS chunks to every request), so this process's CPU is the client's alone; each client is
// measured twice, alternated, after a warm-up.
// Run: npx tsx bench/provider-client.ts [words=5,60] [concurrent=200] [rounds=10]
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { openChatStream } from "../lib/agent/chat-stream";

const wordCounts = (process.argv[2] ?? "5,60").split(",").map(Number);
const concurrent = Number(process.argv[3] ?? 200);
const rounds = Number(process.argv[4] ?? 10);

const serverSource = `
const http = require("node:http");
const words = Number(process.argv[2]);
const chunk = (delta) => "data: " + JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: null }] }) + "\\n\\n";
const usage = "data: " + JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 9, completion_tokens: words, total_tokens: 9 + words } }) + "\\n\\n";
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < words; i++) res.write(chunk({ content: "w" + i + " " }));
    res.end(usage + "data: [DONE]\\n\\n");
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.send(server.address().port));`;
const serverFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "soma-provider-client-")), "server.cjs");
fs.writeFileSync(serverFile, serverSource);

const request = {
  model: "m",
  messages: [
    { role: "system" as const, content: "You are SomaAgent." },
    { role: "user" as const, content: "hello there" },
  ],
  stream_options: { include_usage: true },
};

for (const words of wordCounts) {
  const child = fork(serverFile, [String(words)]);
  const port = await new Promise<number>((resolve) => child.once("message", (p) => resolve(p as number)));
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  const sdk = new OpenAI({ apiKey: "k", baseURL: baseUrl, maxRetries: 2, timeout: 120_000 });
  const clients: Record<string, () => Promise<string>> = {
    "openai SDK (before)": async () => {
      let text = "";
      const stream = await sdk.chat.completions.create({ ...request, stream: true });
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
      return text;
    },
    "chat-stream (now)": async () => {
      let text = "";
      const stream = await openChatStream({ baseUrl, apiKey: "k" }, request);
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
      return text;
    },
  };
  console.log(`${words} chunks an answer, ${concurrent} requests at once, ${rounds} rounds a line`);
  for (const pass of [1, 2])
    for (const [name, once] of Object.entries(clients)) {
      for (let w = 0; w < 3; w++) await Promise.all(Array.from({ length: concurrent }, once));
      const cpu0 = process.cpuUsage();
      const roundMs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const texts = await Promise.all(Array.from({ length: concurrent }, once));
        roundMs.push(performance.now() - t0);
        if (texts.some((t) => t.split(" ").length !== words + 1))
          throw new Error(`${name}: an answer came incomplete`);
      }
      const cpu = process.cpuUsage(cpu0);
      const perRequest = (cpu.user + cpu.system) / 1000 / (rounds * concurrent);
      roundMs.sort((a, b) => a - b);
      console.log(
        `  ${name.padEnd(20)} pass ${pass}: ${perRequest.toFixed(3)} ms CPU a request · a round answered in ${roundMs[Math.floor(rounds / 2)]!.toFixed(1)} ms (median)`,
      );
    }
  child.kill();
}
fs.rmSync(path.dirname(serverFile), { recursive: true, force: true });
process.exit(0);
