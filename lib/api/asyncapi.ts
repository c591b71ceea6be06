// The AsyncAPI 3.0 document of the socket.io namespaces (/chat, /voice, /system): every message a
// client may send and every message the server sends, each with its JSON Schema — generated from the
// same zod schemas the socket handlers validate with and the events are built to, like the OpenAPI
// document is for HTTP. Served at /api/asyncapi.json.
import { z } from "zod";
import { maintenanceView } from "../maintenance/schemas";
import { revokedEvent, sessionEvent } from "../realtime/event-schemas";
import { cancelPayload, joinPayload, leavePayload, sendPayload } from "../realtime/events";
import * as voice from "../voice/signalling";
import type { JsonSchema } from "./contract";

function schema(t: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(t, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const obj = (properties: Record<string, JsonSchema>, required = Object.keys(properties)): JsonSchema => ({
  type: "object",
  properties,
  required,
});
const str: JsonSchema = { type: "string" };
const uuid: JsonSchema = { type: "string", format: "uuid" };
const problem = obj({ code: str, message: str, event: str }, ["code", "message"]);
const ack = (data: JsonSchema): JsonSchema => ({
  description: "The acknowledgement: `{ok: true, data}` or `{ok: false, error: {code, message}}`",
  oneOf: [
    obj({ ok: { const: true }, data }),
    obj({ ok: { const: false }, error: obj({ code: str, message: str }) }),
  ],
});

interface Message {
  summary: string;
  payload: JsonSchema;
  /** What the server answers through the acknowledgement callback. */
  ack?: JsonSchema;
}

const CHAT_SEND: Record<string, Message> = {
  "session.join": {
    summary: "Follow a session: events after afterSeq are replayed, then live ones follow",
    payload: schema(joinPayload, "input"),
    ack: ack(obj({ lastSeq: { type: "integer" } })),
  },
  "session.leave": {
    summary: "Stop following a session",
    payload: schema(leavePayload, "input"),
    ack: ack({}),
  },
  "message.send": {
    summary: "Send a message: starts a turn",
    payload: schema(sendPayload, "input"),
    ack: ack(obj({ messageId: uuid, turnId: uuid })),
  },
  "turn.cancel": {
    summary: "Stop the running turn",
    payload: schema(cancelPayload, "input"),
    ack: ack(obj({ turnId: uuid })),
  },
};

const CHAT_RECEIVE: Record<string, Message> = {
  event: {
    summary: "A session event (the same JSON as an SSE event's data)",
    payload: { $ref: "#/components/schemas/SessionEvent" },
  },
  error: { summary: "A request could not be handled", payload: problem },
  "auth.revoked": {
    summary: "The credential was revoked (token revoked, signed out, user disabled); the socket closes",
    payload: obj({ reason: str }),
  },
  "session.revoked": {
    summary: "Access to a followed session was taken away; its events stop",
    payload: schema(revokedEvent.omit({ type: true }), "output"),
  },
  "server.draining": {
    summary: "This gateway is shutting down: reconnect (to another) and resume from the last event",
    payload: obj({ reason: str }),
  },
};

const callId = { callId: uuid };
const VOICE_SEND: Record<string, Message> = {
  "voice.start": {
    summary: "Start a call in a session",
    payload: schema(voice.startPayload, "input"),
    ack: ack(
      obj({
        callId: uuid,
        mode: { enum: ["cascaded", "realtime"] },
        input: { enum: ["push-to-talk", "hands-free"] },
        offline: { type: "boolean" },
        maxSeconds: { type: "number" },
      }),
    ),
  },
  "voice.offer": {
    summary: "The page's SDP offer (one audio track)",
    payload: schema(voice.offerPayload, "input"),
    ack: ack(obj({ sdp: str })),
  },
  "voice.ptt": {
    summary: "Push-to-talk pressed or released",
    payload: schema(voice.pttPayload, "input"),
    ack: ack({}),
  },
  "voice.hangup": { summary: "End the call", payload: schema(voice.hangupPayload, "input"), ack: ack({}) },
  "voice.resume": {
    summary: "Take the call back after the socket reconnected (within 10 s)",
    payload: schema(voice.hangupPayload, "input"),
    ack: ack(obj({ state: str })),
  },
  "voice.fallback": {
    summary: "WebRTC could not connect: audio over this socket (half-duplex)",
    payload: schema(voice.hangupPayload, "input"),
    ack: ack({}),
  },
  "voice.audio": {
    summary: "Fallback audio from the page: 16 kHz mono 16-bit PCM, at most 1 s",
    payload: obj({ ...callId, pcm: { type: "string", contentEncoding: "binary" } }),
  },
  "voice.played": {
    summary: "How far the page played the agent's audio (RTP timestamp)",
    payload: schema(voice.playedPayload, "input"),
  },
  "voice.connected": {
    summary: "The page's peer connection reached connected (once per call)",
    payload: schema(voice.hangupPayload, "input"),
  },
  "voice.input": {
    summary: "Switch push-to-talk or hands-free",
    payload: schema(voice.inputPayload, "input"),
    ack: ack({}),
  },
};

const VOICE_RECEIVE: Record<string, Message> = {
  "voice.state": {
    summary: "The call's state",
    payload: obj({
      ...callId,
      state: { enum: ["connecting", "listening", "hearing", "thinking", "speaking", "interrupted"] },
    }),
  },
  "voice.caption": {
    summary: "Words of either side; `partial` ones are followed by a final caption",
    payload: obj({ ...callId, role: { enum: ["user", "agent"] }, text: str, partial: { type: "boolean" } }, [
      "callId",
      "role",
      "text",
    ]),
  },
  "voice.error": {
    summary: "Something failed but the call goes on",
    payload: obj({ ...callId, code: str, message: str }),
  },
  "voice.warning": {
    summary: "Little voice time is left",
    payload: obj({ ...callId, code: str, message: str }),
  },
  "voice.ended": {
    summary: "The call ended, and why",
    payload: obj({ ...callId, reason: str, message: str }),
  },
  "voice.audio": {
    summary: "Fallback only: the agent's voice, 24 kHz mono 16-bit PCM; null drops what is queued",
    payload: obj({
      ...callId,
      pcm: { oneOf: [{ type: "string", contentEncoding: "binary" }, { type: "null" }] },
    }),
  },
  error: { summary: "A request could not be handled", payload: problem },
  "auth.revoked": { summary: "The credential was revoked; the socket closes", payload: obj({ reason: str }) },
  "server.draining": CHAT_RECEIVE["server.draining"]!,
};

const SYSTEM_RECEIVE: Record<string, Message> = {
  maintenance: {
    summary: "Maintenance mode switched on, changed or off (also sent once on connect)",
    payload: schema(maintenanceView, "output"),
  },
  "server.draining": CHAT_RECEIVE["server.draining"]!,
};

function channel(address: string, description: string, messages: Record<string, Record<string, Message>>) {
  const all: Record<string, JsonSchema> = {};
  for (const [direction, list] of Object.entries(messages))
    for (const [name, m] of Object.entries(list))
      all[`${direction}.${name}`] = {
        name,
        summary: m.summary,
        payload: m.payload,
        ...(m.ack ? { "x-ack": m.ack } : {}),
      };
  return { address, description, messages: all };
}

export function asyncApiDocument(serverUrl: string) {
  const url = new URL(serverUrl);
  const channels = {
    chat: channel("/chat", "A session's live events and the turns a client starts", {
      send: CHAT_SEND,
      receive: CHAT_RECEIVE,
    }),
    voice: channel(
      "/voice",
      "A voice call's signalling, state and captions (its turns' events stay on /chat)",
      {
        send: VOICE_SEND,
        receive: VOICE_RECEIVE,
      },
    ),
    system: channel("/system", "What every open page is told: maintenance mode, a gateway draining", {
      receive: SYSTEM_RECEIVE,
    }),
  };
  const operations: Record<string, JsonSchema> = {};
  for (const [id, ch] of Object.entries(channels))
    for (const key of Object.keys(ch.messages)) {
      const [direction] = key.split(".");
      operations[`${id}.${key}`] = {
        // AsyncAPI's view is the application's: what the client sends, the server receives.
        action: direction === "send" ? "receive" : "send",
        channel: { $ref: `#/channels/${id}` },
        messages: [{ $ref: `#/channels/${id}/messages/${key}` }],
      };
    }
  return {
    asyncapi: "3.0.0",
    info: {
      title: "SomaAgent realtime API",
      version: "1.0.0",
      description:
        "socket.io namespaces. Authenticate with `auth: {token}` (an API token) or the browser session cookie. A message a client sends with an acknowledgement callback is answered through it (`x-ack`). Session events are the same JSON as the SSE endpoints' (`/api/openapi.json`).",
    },
    servers: {
      gateway: { host: url.host, protocol: url.protocol === "https:" ? "wss" : "ws", pathname: "/socket.io" },
    },
    channels,
    operations,
    components: {
      schemas: { SessionEvent: schema(sessionEvent, "output"), RevokedEvent: schema(revokedEvent, "output") },
    },
  };
}
