// Text Postgres cannot store: a NUL character (text and jsonb refuse it) or half of a surrogate pair
// (not valid UTF-8). A request carrying either is refused with 400 naming the field, never passed on
// to fail in the database as a 500. Pure.

// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function unstorableText(s: string): boolean {
  return UNSTORABLE.test(s);
}

/** The dotted path of the first string or key in `value` that cannot be stored, or undefined. */
export function findUnstorableText(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return unstorableText(value) ? path || "(root)" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (unstorableText(k)) return at;
      const found = findUnstorableText(v, at);
      if (found) return found;
    }
  }
  return undefined;
}
