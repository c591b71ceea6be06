// The test provider speaks the OpenAI API well enough for the real `openai` client: models,
// embeddings, chat completions with and without streaming, tool calls, errors, API keys.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";

let stub: StubServer;
let keyed: StubServer;
let openai: OpenAI;

beforeAll(async () => {
  stub = await startStubProvider();
  keyed = await startStubProvider({ apiKey: "right-key" });
  openai = new OpenAI({ apiKey: "x", baseURL: stub.url, maxRetries: 0 });
});

afterAll(async () => {
  await stub.close();
  await keyed.close();
});

describe("test provider over HTTP", () => {
  it("lists models and makes deterministic, normalised embeddings", async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("stub-chat");
    const a = await openai.embeddings.create({ model: "stub-embedding", input: ["hello", "world"] });
    const b = await openai.embeddings.create({ model: "stub-embedding", input: "hello", dimensions: 256 });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]!.embedding).toHaveLength(256);
    expect(b.data[0]!.embedding).toEqual(a.data[0]!.embedding);
    expect(Math.hypot(...a.data[0]!.embedding)).toBeCloseTo(1, 6);
    const short = await openai.embeddings.create({ model: "stub-embedding", input: "hello", dimensions: 64 });
    expect(short.data[0]!.embedding).toHaveLength(64);
  });

  it("embeds by concept: synonyms alike, unrelated texts apart", async () => {
    const cos = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
    const { data } = await openai.embeddings.create({
      model: "offline-embedding",
      input: ["my car is blue", "the automobile is blue", "I like coffee", "Cars!"],
    });
    const [car, automobile, coffee, cars] = data.map((d) => d.embedding) as [
      number[],
      number[],
      number[],
      number[],
    ];
    expect(cos(car, automobile)).toBeCloseTo(1, 5);
    expect(cos(car, coffee)).toBeCloseTo(0, 5);
    expect(cos(cars, automobile)).toBeCloseTo(Math.SQRT1_2, 5);
  });

  it("answers without streaming, with tool calls and usage", async () => {
    const plain = await openai.chat.completions.create({
      model: "stub-chat",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(plain.choices[0]!.message.content).toBe("Echo: hi");
    expect(plain.usage!.prompt_tokens).toBeGreaterThan(0);
    const tool = await openai.chat.completions.create({
      model: "stub-chat",
      messages: [{ role: "user", content: '[[tool:code_execution {"runtime":"python","code":"1"}]]' }],
    });
    expect(tool.choices[0]!.finish_reason).toBe("tool_calls");
    expect(tool.choices[0]!.message.tool_calls![0]).toMatchObject({
      type: "function",
      function: { name: "code_execution", arguments: '{"runtime":"python","code":"1"}' },
    });
  });

  it("streams text in chunks and reports usage at the end when asked", async () => {
    const stream = await openai.chat.completions.create({
      model: "stub-chat",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "one two three" }],
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.join("")).toBe("Echo: one two three");
    expect(pieces.length).toBeGreaterThan(2);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("scripts HTTP errors, a failure mid-stream, unknown models and bad keys", async () => {
    const limited = openai.chat.completions.create({
      model: "stub-chat",
      messages: [{ role: "user", content: "[[error:429]]" }],
    });
    await expect(limited).rejects.toMatchObject({ status: 429 });
    const mid = await openai.chat.completions.create({
      model: "stub-chat",
      stream: true,
      messages: [{ role: "user", content: "a b c d [[fail-mid]]" }],
    });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of mid) got.push(c.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toThrow(/server had an error/);
    expect(got.join("")).toBe("Echo: a ");
    await expect(
      openai.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 404 });
    const wrongKey = new OpenAI({ apiKey: "wrong", baseURL: keyed.url, maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toMatchObject({ status: 401 });
    const rightKey = new OpenAI({ apiKey: "right-key", baseURL: keyed.url, maxRetries: 0 });
    expect((await rightKey.models.list()).data.length).toBeGreaterThan(0);
  });

  it("logs the requests it received", async () => {
    const before = stub.requests.length;
    await openai.chat.completions.create({
      model: "stub-chat",
      messages: [{ role: "user", content: "log me" }],
    });
    expect(stub.requests.length).toBe(before + 1);
    expect(stub.requests.at(-1)).toMatchObject({
      path: "/v1/chat/completions",
      model: "stub-chat",
      messages: 1,
    });
    const res = await fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/requests`);
    expect(((await res.json()) as { count: number }).count).toBe(stub.requests.length);
  });
});
