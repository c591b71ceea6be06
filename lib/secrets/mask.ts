// Masks secret values wherever they appear: tool output, errors, log lines, audit rows.
export interface Masker {
  text(s: string): string;
  deep<T>(v: T): T;
}

/**
 * The forms a secret commonly takes in a response that echoes it: as given, base64 (standard and
 * URL-safe, with or without padding) and URL-encoded. A value transformed otherwise (reversed,
 * hashed) is not found; that is why code, which can transform anything, never receives a secret.
 */
function forms(value: string): string[] {
  const b64 = Buffer.from(value, "utf8").toString("base64");
  const b64url = Buffer.from(value, "utf8").toString("base64url");
  return [
    value,
    b64,
    b64.replace(/=+$/, ""),
    b64url,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, "+"),
  ];
}

export function createMasker(secrets: { name: string; value: string }[]): Masker {
  // Longest first, so a secret that contains another is masked whole. Very short values would
  // mask ordinary text and are not accepted as secrets worth hiding.
  const list = secrets
    .filter((s) => s.value.length >= 4)
    .flatMap((s) => [...new Set(forms(s.value))].map((value) => ({ name: s.name, value })))
    .sort((a, b) => b.value.length - a.value.length);
  const text = (s: string) => {
    let out = s;
    for (const { name, value } of list) out = out.split(value).join(`[secret:${name}]`);
    return out;
  };
  const deep = <T>(v: T): T => {
    if (typeof v === "string") return text(v) as T;
    if (Array.isArray(v)) return v.map((x: unknown) => deep(x)) as T;
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) as T;
    return v;
  };
  return { text, deep };
}
