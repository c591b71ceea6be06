// `make smoke URL=https://soma.example.com TOKEN=soma_…` (or EMAIL=… PASSWORD=… instead of TOKEN):
// the public API end to end against a live deployment, for CI/CD after a deploy. Checks, in order:
// health, readiness, sign-in, a new session, a turn with whatever model the deployment answers with,
// a tool call through the executor's sandbox, the settings, and deleting the session again (always,
// once it exists). One line per check; exit 1 when any check fails or is skipped, 2 on bad usage.
// Nothing secret is printed. Options from the environment: SMOKE_TIMEOUT_MS (each check, 60000).
import type { SessionEvent } from "../lib/realtime/events";

interface Check {
  name: string;
  ok: boolean | "skipped";
  detail: string;
  ms: number;
}

class SmokeFailure extends Error {}

const fail = (message: string): never => {
  throw new SmokeFailure(message);
};

/** `{"error": {"code", "message"}}` as one phrase, else the start of the body. */
function errorText(status: number, body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (e?.code) return `${status} ${e.code}: ${e.message ?? ""}`.trim();
  } catch {
    // not JSON: the raw start of the body says more than nothing
  }
  return `${status} ${body.replace(/\s+/g, " ").slice(0, 160)}`;
}

/** A request that got no HTTP answer: why, as Node tells it (ECONNREFUSED, ENOTFOUND, a timeout). */
function networkError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "no answer in time";
  const why = e.cause?.code ?? e.cause?.message;
  return `request failed: ${e.message}${why ? ` (${why})` : ""}`;
}

export interface SmokeOptions {
  url: string;
  token?: string;
  email?: string;
  password?: string;
  timeoutMs?: number;
  /** Where each line goes (stdout by default). */
  print?: (line: string) => void;
}

export async function runSmoke(opts: SmokeOptions): Promise<{ ok: boolean; checks: Check[] }> {
  const base = opts.url.replace(/\/+$/, "");
  const origin = new URL(base).origin;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const print = opts.print ?? ((line: string) => console.log(line));
  const checks: Check[] = [];
  let auth: Record<string, string> | undefined;

  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...auth,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res;
  };
  const json = async <T>(res: Response, expected: number): Promise<T> => {
    const text = await res.text();
    if (res.status !== expected) fail(`expected ${expected}, got ${errorText(res.status, text)}`);
    return (text ? JSON.parse(text) : null) as T;
  };

  const check = async (name: string, run: () => Promise<string>, skip?: string): Promise<boolean> => {
    const started = performance.now();
    let result: Check;
    if (skip) result = { name, ok: "skipped", detail: skip, ms: 0 };
    else
      try {
        const detail = await run();
        result = { name, ok: true, detail, ms: Math.round(performance.now() - started) };
      } catch (err) {
        const detail = err instanceof SmokeFailure ? err.message : networkError(err);
        result = { name, ok: false, detail, ms: Math.round(performance.now() - started) };
      }
    checks.push(result);
    const mark = result.ok === true ? "✔" : result.ok === "skipped" ? "-" : "✘";
    const time = result.ok === "skipped" ? "" : ` (${result.ms} ms)`;
    print(`${mark} ${name.padEnd(9)} ${result.detail}${time}`);
    return result.ok === true;
  };

  await check("health", async () => {
    const body = await json<{ status: string }>(await request("GET", "/healthz"), 200);
    return `healthz ${body.status}`;
  });
  await check("readiness", async () => {
    const res = await request("GET", "/readyz");
    const text = await res.text();
    if (res.status !== 200) {
      const body = JSON.parse(text) as { status?: string; maintenance?: { message?: string } };
      fail(
        `not ready: ${body.status ?? res.status}${body.maintenance?.message ? ` (maintenance: ${body.maintenance.message})` : ""}`,
      );
    }
    return "readyz ok";
  });
  const signedIn = await check("sign-in", async () => {
    if (opts.email && opts.password) {
      const res = await request("POST", "/api/auth/login", { email: opts.email, password: opts.password });
      if (res.status !== 200 && res.status !== 204)
        fail(`sign-in refused: ${errorText(res.status, await res.text())}`);
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0]!)
        .join("; ");
      if (!cookie) fail("sign-in answered without a session cookie");
      // Cookie-authenticated writes must say they come from the deployment's own origin (CSRF).
      auth = { cookie, origin };
    } else if (opts.token) auth = { authorization: `Bearer ${opts.token}` };
    else fail("give TOKEN, or EMAIL and PASSWORD");
    const res = await request("GET", "/api/v1/me");
    if (res.status === 401 || res.status === 403)
      fail(
        `${opts.email ? "the session" : "the token"} was refused: ${errorText(res.status, await res.text())}`,
      );
    const me = await json<{ email?: string }>(res, 200);
    return `as ${me.email ?? "?"}${opts.email ? " (password)" : " (token)"}`;
  });

  let sessionId: string | undefined;
  await check(
    "session",
    async () => {
      const s = await json<{ id: string }>(
        await request("POST", "/api/v1/sessions", { title: `Smoke test ${new Date().toISOString()}` }),
        201,
      );
      sessionId = s.id;
      return `created ${s.id}`;
    },
    signedIn ? undefined : "not signed in",
  );

  await check(
    "turn",
    async () => {
      const res = await request(
        "POST",
        `/api/v1/sessions/${sessionId}/messages`,
        { content: "Smoke test: please answer with one short sentence." },
        { accept: "text/event-stream" },
      );
      if (res.status !== 200) fail(errorText(res.status, await res.text()));
      const events = await readEvents(res);
      const end = events.find((e) =>
        ["turn.finished", "turn.failed", "turn.cancelled", "turn.interrupted"].includes(e.type),
      );
      if (!end) fail(`the stream ended without the turn's end (${events.length} events)`);
      if (end!.type !== "turn.finished")
        fail(`${end!.type}: ${"reason" in end! ? end.reason : "no reason given"}`);
      const text = events
        .filter((e): e is Extract<SessionEvent, { type: "message.delta" }> => e.type === "message.delta")
        .map((e) => e.delta)
        .join("");
      if (!text.trim()) fail("the turn finished without any answer text");
      return `answered ${JSON.stringify(text.trim().slice(0, 40))}${text.trim().length > 40 ? "…" : ""}`;
    },
    sessionId ? undefined : "no session",
  );

  await check(
    "tool",
    async () => {
      const r = await json<{ status: string; result?: { stdout?: string }; error?: string }>(
        await request("POST", "/api/v1/tools/code_execution/invoke", {
          args: { runtime: "python", code: "print(6 * 7)" },
          sessionId,
        }),
        200,
      );
      if (r.status !== "succeeded") fail(`code_execution ${r.status}: ${r.error ?? "no error given"}`);
      if (r.result?.stdout?.trim() !== "42")
        fail(`code_execution printed ${JSON.stringify(r.result?.stdout)}, not 42`);
      return "code_execution printed 42";
    },
    sessionId ? undefined : "no session",
  );

  await check(
    "settings",
    async () => {
      const s = await json<{ fields?: Record<string, unknown> }>(
        await request("GET", "/api/v1/settings"),
        200,
      );
      const n = Object.keys(s.fields ?? {}).length;
      if (n === 0) fail("the settings came back without fields");
      return `${n} fields`;
    },
    signedIn ? undefined : "not signed in",
  );

  await check(
    "cleanup",
    async () => {
      const res = await request("DELETE", `/api/v1/sessions/${sessionId}`);
      if (res.status !== 204) fail(errorText(res.status, await res.text()));
      const gone = await request("GET", `/api/v1/sessions/${sessionId}`);
      await gone.body?.cancel();
      if (gone.status !== 404) fail(`the deleted session still answers ${gone.status}`);
      return `deleted ${sessionId}`;
    },
    sessionId ? undefined : "nothing to delete",
  );

  const ok = checks.every((c) => c.ok === true);
  const failed = checks.filter((c) => c.ok === false).map((c) => c.name);
  const skipped = checks.filter((c) => c.ok === "skipped").length;
  print(
    ok
      ? `smoke: all ${checks.length} checks passed against ${origin}`
      : `smoke: FAILED against ${origin}: ${failed.join(", ") || "none"} failed, ${skipped} skipped`,
  );
  return { ok, checks };

  /** The SSE stream's events until it closes (the gateway closes it after the turn's end). */
  async function readEvents(res: Response): Promise<SessionEvent[]> {
    const events: SessionEvent[] = [];
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let idx: number;
      while ((idx = buf.indexOf("\n\n")) >= 0) {
        const data = buf
          .slice(0, idx)
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        buf = buf.slice(idx + 2);
        if (data) events.push(JSON.parse(data) as SessionEvent);
      }
    }
    return events;
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const env = process.env;
  const url = env.URL ?? env.SMOKE_URL;
  if (!url || !/^https?:\/\//.test(url)) {
    console.error("usage: make smoke URL=https://… TOKEN=…   (or EMAIL=… PASSWORD=… instead of TOKEN)");
    process.exit(2);
  }
  const timeout = Number(env.SMOKE_TIMEOUT_MS ?? 60_000);
  runSmoke({
    url,
    ...(env.TOKEN ? { token: env.TOKEN } : {}),
    ...(env.EMAIL ? { email: env.EMAIL } : {}),
    ...(env.PASSWORD ? { password: env.PASSWORD } : {}),
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 60_000,
  }).then(
    ({ ok }) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      console.error(`smoke: could not run: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
