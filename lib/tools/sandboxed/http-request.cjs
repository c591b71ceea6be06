// Runs inside the sandbox with network: one HTTP request read from stdin as JSON, answered on stdout.
"use strict";
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const req = JSON.parse(input);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual", // a redirect could lead off the allow-list
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const body = buf.subarray(0, req.maxBytes).toString("utf8");
    process.stdout.write(
      JSON.stringify({
        ok: true,
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body,
        truncated: buf.length > req.maxBytes,
      }),
    );
  } catch (err) {
    process.stdout.write(
      JSON.stringify({
        ok: false,
        message: String((err && err.cause && err.cause.code) || (err && err.message) || err),
      }),
    );
  }
});
