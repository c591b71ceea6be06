// The contract of GET /api/asyncapi.json.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/asyncapi.json", {
  get: {
    summary: "The AsyncAPI 3.0 document of the socket.io namespaces (/chat, /voice, /system)",
    public: true,
    responses: { 200: { description: "AsyncAPI 3.0", body: { type: "object" } } },
    errors: [],
  },
});
