// A session's event log in Redis: one atomic script numbers each event, appends it to the session's
// stream (kept a day, last 2,000 events) and publishes it. Socket.io clients and SSE streams follow a
// session by subscribing first and then replaying the stream after the last sequence number they
// have, so nothing is missed across reconnects or gateway processes. Postgres stays the record of
// the conversation; the log carries the live view of it.
import type { Redis } from "ioredis";
import { singleton } from "../singleton";
import { channelHub } from "./channel-hub";
import type { SessionEvent, SessionEventBody } from "./events";

const STREAM_MAXLEN = 2000;
const STREAM_TTL_S = 24 * 3600;
const COUNTER_TTL_S = 7 * 24 * 3600;

export const eventStreamKey = (sessionId: string) => `session:${sessionId}:events`;
export const eventCounterKey = (sessionId: string) => `session:${sessionId}:seq`;
export const eventChannel = (sessionId: string) => `session-events:${sessionId}`;

// KEYS: counter, stream. ARGV: channel, maxlen, ttls, then one event JSON without seq (starts with
// "{") per event: the events get consecutive sequence numbers, in ARGV's order, and are published
// one message each. Returns the first event's number.
const APPEND = `
local n = #ARGV - 4
local last = redis.call('INCRBY', KEYS[1], n)
local first = last - n + 1
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if top[1] then
  local lastSeq = tonumber(string.match(top[1][1], '^(%d+)'))
  if lastSeq >= first then first = lastSeq + 1; redis.call('SET', KEYS[1], first + n - 1) end
end
for i = 1, n do
  local seq = first + i - 1
  local event = '{"seq":' .. seq .. ',' .. string.sub(ARGV[4 + i], 2)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', event)
  redis.call('PUBLISH', ARGV[1], event)
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return first
`;

type WithAppend = Redis & {
  somaAppendEvents(counter: string, stream: string, ...args: (string | number)[]): Promise<number>;
};

function withScript(redis: Redis): WithAppend {
  const r = redis as WithAppend;
  if (typeof r.somaAppendEvents !== "function")
    r.defineCommand("somaAppendEvents", { numberOfKeys: 2, lua: APPEND });
  return r;
}

/** Events of one session waiting to be appended, in the order appended. */
interface Batch {
  redis: Redis;
  sessionId: string;
  events: { json: string; done: (seq: number) => void; fail: (err: unknown) => void }[];
}

/**
 * What waits for the end of this turn of the event loop. Per process (not per module copy: Next's
 * bundles and the server share it), so one session's events keep their order whoever appends them.
 */
const pending = () =>
  singleton("event-log-pending", () => ({ batches: new Map<string, Batch>(), scheduled: false }));

function scriptArgs(b: Batch): (string | number)[] {
  return [
    eventCounterKey(b.sessionId),
    eventStreamKey(b.sessionId),
    eventChannel(b.sessionId),
    STREAM_MAXLEN,
    STREAM_TTL_S,
    COUNTER_TTL_S,
    ...b.events.map((e) => e.json),
  ];
}

function settle(b: Batch, err: unknown, first: unknown): void {
  if (err) for (const e of b.events) e.fail(err);
  else b.events.forEach((e, i) => e.done(Number(first) + i));
}

/** One script call for one session's batch. */
function sendOne(b: Batch): void {
  const [counter, stream, ...rest] = scriptArgs(b);
  withScript(b.redis)
    .somaAppendEvents(String(counter), String(stream), ...rest)
    .then(
      (first) => settle(b, null, first),
      (err: unknown) => settle(b, err, 0),
    );
}

/** Everything appended during this turn of the event loop: one pipeline (one write) per connection. */
function flush(): void {
  const state = pending();
  state.scheduled = false;
  const byConnection = new Map<Redis, Batch[]>();
  for (const b of state.batches.values()) {
    const list = byConnection.get(b.redis);
    if (list) list.push(b);
    else byConnection.set(b.redis, [b]);
  }
  state.batches.clear();
  for (const [redis, list] of byConnection) {
    if (list.length === 1) {
      sendOne(list[0]!);
      continue;
    }
    const pipeline = withScript(redis).pipeline() as unknown as {
      somaAppendEvents(...args: (string | number)[]): unknown;
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const b of list) pipeline.somaAppendEvents(...scriptArgs(b));
    pipeline.exec().then(
      (results) => list.forEach((b, i) => settle(b, results?.[i]?.[0] ?? null, results?.[i]?.[1])),
      (err: unknown) => list.forEach((b) => settle(b, err, 0)),
    );
  }
}

/**
 * Appends an event to the session's log and publishes it; returns the full event. What is appended
 * during one turn of the event loop (every session's tokens read from their providers in it) goes
 * to Redis at its end, in one pipelined write per connection, one script call per session: a
 * session's events in the order appended, and before anything appended later, so the sequence
 * numbers follow the calls. The reply and the published events come back in the next turn of the
 * loop, as they would if each had been written at once; the writes and the system calls are fewer.
 */
export function appendEvent(redis: Redis, sessionId: string, body: SessionEventBody): Promise<SessionEvent> {
  const at = new Date().toISOString();
  const event = { sessionId, at, ...body };
  const json = JSON.stringify(event);
  const state = pending();
  let batch = state.batches.get(sessionId);
  if (batch && batch.redis !== redis) {
    // Another connection for the same session: what is queued is sent first.
    state.batches.delete(sessionId);
    sendOne(batch);
    batch = undefined;
  }
  if (!batch) {
    batch = { redis, sessionId, events: [] };
    state.batches.set(sessionId, batch);
  }
  if (!state.scheduled) {
    state.scheduled = true;
    setImmediate(flush);
  }
  const queued = batch;
  return new Promise<SessionEvent>((resolve, reject) => {
    queued.events.push({ json, done: (seq) => resolve({ seq, ...event }), fail: reject });
  });
}

/** The current (last issued) sequence number of a session. */
export async function lastSeq(redis: Redis, sessionId: string): Promise<number> {
  return Number((await redis.get(eventCounterKey(sessionId))) ?? 0);
}

/** Events after `afterSeq` still in the log, or a resync event when older ones were dropped. */
export async function eventsAfter(
  redis: Redis,
  sessionId: string,
  afterSeq: number,
): Promise<SessionEvent[]> {
  const entries = await redis.xrange(eventStreamKey(sessionId), `${afterSeq + 1}-0`, "+");
  const events = entries.map(([, fields]) => JSON.parse(fields[1]!) as SessionEvent);
  const first = events[0]?.seq ?? (await lastSeq(redis, sessionId)) + 1;
  if (afterSeq > 0 && first > afterSeq + 1) {
    return [
      {
        type: "session.resync",
        reason: "Some events are no longer kept; reload the session.",
        seq: afterSeq,
        sessionId,
        at: new Date().toISOString(),
      },
      ...events,
    ];
  }
  return events;
}

/** A subscription to a session's events that buffers them until `from` says where to start. */
export interface SessionSubscription {
  /**
   * Delivers the events after `afterSeq` (replayed from the log), then the buffered and live ones,
   * in order and once each. Resolves once the replay is delivered; the subscription is then live.
   */
  from: (redis: Redis, afterSeq: number, onEvent: (e: SessionEvent) => void) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Subscribes to a session's events now, before knowing where to start: a caller about to start a
 * turn subscribes first, so the turn's first events are already on their way when it asks for
 * them (no round trip to subscribe between the turn's start and its first token).
 */
export async function subscribeSession(redisUrl: string, sessionId: string): Promise<SessionSubscription> {
  let buffer: SessionEvent[] | null = [];
  let deliver: ((e: SessionEvent) => void) | undefined;
  const stop = await channelHub(redisUrl).listen(eventChannel(sessionId), (message) => {
    const e = JSON.parse(message) as SessionEvent;
    if (buffer) buffer.push(e);
    else deliver?.(e);
  });
  return {
    async from(redis, afterSeq, onEvent) {
      let last = afterSeq;
      deliver = (e) => {
        if (e.type !== "session.resync" && e.seq <= last) return;
        if (e.type !== "session.resync") last = e.seq;
        onEvent(e);
      };
      for (const e of await eventsAfter(redis, sessionId, afterSeq)) deliver(e);
      const pending = buffer ?? [];
      buffer = null;
      for (const e of pending) deliver(e);
    },
    stop,
  };
}

/**
 * Delivers a session's events after `afterSeq` and then every new one, in order and once each.
 * Subscribes before replaying, buffering live events until the replay is done.
 */
export async function followSession(
  redis: Redis,
  redisUrl: string,
  sessionId: string,
  afterSeq: number,
  onEvent: (e: SessionEvent) => void,
): Promise<() => Promise<void>> {
  const subscription = await subscribeSession(redisUrl, sessionId);
  try {
    await subscription.from(redis, afterSeq, onEvent);
  } catch (err) {
    await subscription.stop();
    throw err;
  }
  return subscription.stop;
}
