// Dotted-key helpers: every setting is a leaf of the defaults object (arrays count as leaves).
export type Leaf = string | number | boolean | string[];
export type FlatMap = Map<string, unknown>;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function flatten(obj: Record<string, unknown>, prefix = "", out: FlatMap = new Map()): FlatMap {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) flatten(v, path, out);
    else out.set(path, v);
  }
  return out;
}

export function unflatten(flat: FlatMap): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, value] of flat) {
    const parts = path.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  return root;
}

/** models.chat.baseUrl -> SOMA_MODELS_CHAT_BASE_URL */
export function envNameFor(path: string): string {
  return (
    "SOMA_" +
    path
      .split(".")
      .map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase())
      .join("_")
  );
}
