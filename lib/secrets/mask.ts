// Masks secret values wherever they appear: tool output, errors, log lines, audit rows.
export interface Masker {
  text(s: string): string;
  deep<T>(v: T): T;
}

export function createMasker(secrets: { name: string; value: string }[]): Masker {
  // Longest first, so a secret that contains another is masked whole. Very short values would
  // mask ordinary text and are not accepted as secrets worth hiding.
  const list = secrets.filter((s) => s.value.length >= 4).sort((a, b) => b.value.length - a.value.length);
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
