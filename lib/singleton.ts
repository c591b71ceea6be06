// One instance per process for long-lived clients (Prisma, ioredis, socket.io, queues), kept on
// globalThis so Next's dev reloads and the custom server sharing a process never make a second one.
const registry = globalThis as unknown as { __somaSingletons?: Map<string, unknown> };

/** The instance if this process has made it (a process that never used it does not start one). */
export function existingSingleton<T>(name: string): T | undefined {
  return registry.__somaSingletons?.get(name) as T | undefined;
}

export function singleton<T>(name: string, factory: () => T): T {
  registry.__somaSingletons ??= new Map();
  if (!registry.__somaSingletons.has(name)) registry.__somaSingletons.set(name, factory());
  return registry.__somaSingletons.get(name) as T;
}
