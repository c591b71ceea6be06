// Reads a request body with a running limit: a body without Content-Length (chunked) is cut off at
// `limitBytes` with a 413 instead of being buffered whole first, so a slow or huge upload cannot
// grow the gateway's memory. A declared length over the limit is refused before reading anything.
// Route handlers read a web Request; the gateway's own routes (server/) read the IncomingMessage.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors";

const tooLarge = (limitBytes: number) =>
  new AppError("payload_too_large", `The body is larger than ${limitBytes} bytes.`);

export async function readBodyLimited(request: Request, limitBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limitBytes) throw tooLarge(limitBytes);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel("body too large");
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The same for a request the gateway answers itself. What is left of a refused body is read and
 * dropped, not kept, so the client gets its 413 while it is still sending (closing the connection
 * instead would cut its upload off before it could read the answer).
 */
export async function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limitBytes) {
      req.resume();
      throw tooLarge(limitBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
