// A session's event log in Redis: one atomic script numbers each event, appends it to the session's
// stream (kept a day, last 2,000 events) and publishes it. Socket.io clients and SSE streams follow a
// session by subscribing first and then replaying the stream after the last sequence number they
// have, so nothing is missed across reconnects or gateway processes. Postgres stays the record of
// the conversation; the log carries the live view of it.
import type { Redis } from "ioredis";
import { channelHub } from "./channel-hub";
import type { SessionEvent, SessionEventBody } from "./events";

const STREAM_MAXLEN = 2000;
const STREAM_TTL_S = 24 * 3600;
const COUNTER_TTL_S = 7 * 24 * 3600;

export const eventStreamKey = (sessionId: string) => `session:${sessionId}:events`;
export const eventCounterKey = (sessionId: string) => `session:${sessionId}:seq`;
export const eventChannel = (sessionId: string) => `session-events:${sessionId}`;

// KEYS: counter, stream. ARGV: channel, event JSON without seq (starts with "{"), maxlen, ttls.
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if last[1] then
  local lastSeq = tonumber(string.match(last[1][1], '^(%d+)'))
  if lastSeq >= seq then seq = lastSeq + 1; redis.call('SET', KEYS[1], seq) end
end
local event = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'e', event)
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[1], event)
return seq
`;

type WithAppend = Redis & {
  somaAppendEvent(counter: string, stream: string, ...args: (string | number)[]): Promise<number>;
};

function withScript(redis: Redis): WithAppend {
  const r = redis as WithAppend;
  if (typeof r.somaAppendEvent !== "function")
    r.defineCommand("somaAppendEvent", { numberOfKeys: 2, lua: APPEND });
  return r;
}

/** Appends an event to the session's log and publishes it; returns the full event. */
export async function appendEvent(
  redis: Redis,
  sessionId: string,
  body: SessionEventBody,
): Promise<SessionEvent> {
  const at = new Date().toISOString();
  const json = JSON.stringify({ sessionId, at, ...body });
  const seq = await withScript(redis).somaAppendEvent(
    eventCounterKey(sessionId),
    eventStreamKey(sessionId),
    eventChannel(sessionId),
    json,
    STREAM_MAXLEN,
    STREAM_TTL_S,
    COUNTER_TTL_S,
  );
  return { seq, sessionId, at, ...body };
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
  let last = afterSeq;
  let buffer: SessionEvent[] | null = [];
  const deliver = (e: SessionEvent) => {
    if (e.type !== "session.resync" && e.seq <= last) return;
    if (e.type !== "session.resync") last = e.seq;
    onEvent(e);
  };
  const stop = await channelHub(redisUrl).listen(eventChannel(sessionId), (message) => {
    const e = JSON.parse(message) as SessionEvent;
    if (buffer) buffer.push(e);
    else deliver(e);
  });
  try {
    for (const e of await eventsAfter(redis, sessionId, afterSeq)) deliver(e);
  } catch (err) {
    await stop();
    throw err;
  }
  const pending = buffer;
  buffer = null;
  for (const e of pending) deliver(e);
  return stop;
}
