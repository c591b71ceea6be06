// Reads a request body with a running limit: a body without Content-Length (chunked) is cut off at
// `limitBytes` with a 413 instead of being buffered whole first, so a slow or huge upload cannot
// grow the gateway's memory. A declared length over the limit is refused before reading anything.
import { AppError } from "../errors";

export async function readBodyLimited(request: Request, limitBytes: number): Promise<string> {
  const tooLarge = () => new AppError("payload_too_large", `The body is larger than ${limitBytes} bytes.`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limitBytes) throw tooLarge();
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
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
