// ioredis, one command connection per process. A command not answered within COMMAND_TIMEOUT_MS
// fails, so readiness and request handlers report an outage instead of hanging; the commands of one
// piece of work leave in one write (timedCommands).
import type { Socket } from "node:net";
import { Redis, type Command } from "ioredis";
import { singleton } from "../singleton";
import { getConfig } from "../config";

const COMMAND_TIMEOUT_MS = 2_000;

export function createRedis(url: string, opts: { blocking?: boolean } = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: opts.blocking ? null : 1,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  if (!opts.blocking) timedCommands(client, COMMAND_TIMEOUT_MS);
  return client;
}

/**
 * What ioredis's `commandTimeout` does (a command not answered within `ms` fails with "Command timed
 * out"), except that the deadline is judged once the event loop has read what arrived, and counts
 * from when the command left the process:
 * - ioredis's own timer fires in the loop's timers phase, before the poll phase reads the replies
 *   waiting on the socket: after the process was busy for longer than the timeout (a garbage
 *   collection, a burst of messages), every command in flight failed although Redis had answered
 *   within a millisecond, and an overloaded gateway refused messages it could have taken. Here an
 *   expired timer looks again after the poll phase (setImmediate); a command still unanswered then
 *   has really waited.
 * - The commands sent while the process runs one piece of work (a callback and the promise
 *   continuations it resolves) leave in one write: the socket is corked at the first and uncorked
 *   when that work is done (process.nextTick, before any I/O). Each command used to be a system call
 *   of its own: 200 turns starting at once made thousands of small writes. Their deadline starts
 *   there, one timer for them all.
 */
export function timedCommands(client: Redis, ms: number): void {
  const timed = new WeakSet<Command>();
  const send = client.sendCommand.bind(client);
  let corked: Command[] | undefined;
  const arm = (commands: Command[]) => {
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          for (const c of commands) if (!c.isResolved) c.reject(new Error("Command timed out"));
        }),
      ms,
    );
    let left = commands.length;
    const settled = () => {
      if (--left === 0) clearTimeout(timer);
    };
    for (const c of commands) c.promise.then(settled, settled);
  };
  client.sendCommand = (command, stream) => {
    // A command queued while disconnected passes here again when the queue is flushed.
    if (!timed.has(command)) {
      timed.add(command);
      const socket = (client as unknown as { stream?: Socket }).stream;
      if (stream || client.status !== "ready" || !socket) arm([command]);
      else if (corked) corked.push(command);
      else {
        const batch = (corked = [command]);
        socket.cork();
        process.nextTick(() => {
          corked = undefined;
          socket.uncork();
          arm(batch);
        });
      }
    }
    return send(command, stream);
  };
}

export function redis(): Redis {
  return singleton("redis", () => {
    const client = createRedis(getConfig().settings.redis.url);
    // Connection errors are reported by /readyz; without a listener ioredis would log them raw.
    client.on("error", () => undefined);
    return client;
  });
}
