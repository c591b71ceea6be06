// Which methods a path answers, from the registered route contracts: the gateway answers a method a
// route does not have with 405 and an Allow header, and an /api path no route has with 404, both as
// JSON, before Next sees the request (Next answers some of them with its HTML error page).
import { ALIASES } from "./aliases";
import { allowedMethods, pathMatcher, type RouteContract } from "./contract";

export type MethodLookup = (pathname: string) => string[] | null;

export function methodTable(contracts: readonly RouteContract[]): MethodLookup {
  // Fewer parameters first: a literal path wins over a template that would also match it.
  const routes = [...contracts]
    .sort((a, b) => a.path.split("{").length - b.path.split("{").length)
    .map((c) => ({ match: pathMatcher(c.path), allow: allowedMethods(c) }));
  const aliases = new Map(ALIASES.map(([alias, method]) => [alias, [method.toUpperCase(), "OPTIONS"]]));
  return (pathname) => {
    const alias = aliases.get(pathname);
    if (alias) return alias;
    for (const r of routes) if (r.match(pathname)) return r.allow;
    return null;
  };
}
