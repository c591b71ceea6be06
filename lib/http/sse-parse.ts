// Server-sent events read from a byte stream, as the HTML standard's event-stream parser reads them:
// lines end in CRLF, LF or CR (also across chunks); a blank line ends an event; `data` lines join
// with "\n"; one space after the colon is not part of the value; lines starting with ":" are
// comments; an event without data is not dispatched. Used by every reader of SSE in this project:
// the speech client (streamed transcripts), the tests' and the benches' session followers.
export interface SseEvent {
  /** `event:` field, "message" when absent. */
  event: string;
  data: string;
  /** `id:` field of this event, if it had one. */
  id?: string;
}

export class SseParser {
  private buf = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  /** The last chunk ended in CR: an LF starting the next one belongs to it. */
  private afterCr = false;

  /** The events completed by this piece of text, in order. */
  push(text: string): SseEvent[] {
    if (this.afterCr && text.startsWith("\n")) text = text.slice(1);
    this.afterCr = false;
    this.buf += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buf.indexOf("\n", start);
      const cr = this.buf.indexOf("\r", start);
      let end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      const line = this.buf.slice(start, end);
      if (this.buf[end] === "\r") {
        if (end + 1 === this.buf.length) this.afterCr = true;
        else if (this.buf[end + 1] === "\n") end++;
      }
      start = end + 1;
      const done = this.line(line);
      if (done) out.push(done);
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      const data = this.data;
      const e: SseEvent = { event: this.event || "message", data: data.join("\n") };
      if (this.id !== undefined) e.id = this.id;
      this.data = [];
      this.event = "";
      this.id = undefined;
      return data.length ? e : undefined;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return undefined;
  }
}
