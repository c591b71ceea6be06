// Rego's sprintf with Go's verbs, as OPA's server formats (the WebAssembly SDK's own follows C's and
// has no %q): %s %v %d %q %f %%; anything else is written as Go writes a bad verb.
function plain(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function goSprintf(format: string, values: unknown[]): string {
  let i = 0;
  return format.replace(/%([%svdqf])/g, (all, verb: string) => {
    if (verb === "%") return "%";
    if (i >= values.length) return `%!${verb}(MISSING)`;
    const v = values[i++];
    switch (verb) {
      case "q":
        return typeof v === "string" ? JSON.stringify(v) : `%!q(${plain(v)})`;
      case "d":
        return typeof v === "number" && Number.isInteger(v) ? String(v) : `%!d(${plain(v)})`;
      case "f":
        return typeof v === "number" ? v.toFixed(6) : `%!f(${plain(v)})`;
      default:
        return plain(v);
    }
  });
}
