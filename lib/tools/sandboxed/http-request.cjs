// Runs inside the sandbox with network: one HTTP request read from stdin as JSON, answered on stdout.
// It connects to the address the tool host resolved and checked (`address`), never looking the name
// up again, so a DNS answer that changes in between cannot point it elsewhere. The URL's name is
// still used for the Host header and TLS (SNI and certificate checks).
"use strict";
const http = require("node:http");
const https = require("node:https");
const { URL } = require("node:url");

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  const url = new URL(req.url);
  const lib = url.protocol === "https:" ? https : http;
  const lookup = (_host, opts, cb) =>
    opts && opts.all
      ? cb(null, [{ address: req.address, family: req.family }])
      : cb(null, req.address, req.family);
  const done = (out) => {
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  };
  const fail = (err) =>
    done({ ok: false, message: String((err && err.code) || (err && err.message) || err) });
  // A redirect is returned as it is (status and Location): following it could leave the allow-list.
  const r = lib.request(
    url,
    { method: req.method, headers: req.headers, lookup, timeout: req.timeoutMs },
    (res) => {
      const chunks = [];
      let size = 0;
      res.on("data", (c) => {
        if (size < req.maxBytes) chunks.push(c);
        size += c.length;
      });
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        done({
          ok: true,
          status: res.statusCode,
          headers: res.headers,
          body: buf.subarray(0, req.maxBytes).toString("utf8"),
          truncated: size > req.maxBytes,
        });
      });
      res.on("error", fail);
    },
  );
  r.on("timeout", () => r.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
  r.on("error", fail);
  r.end(req.body);
});
