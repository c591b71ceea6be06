// `npm run provider:stub [-- --port 18090] [--api-key KEY]`: the offline OpenAI-compatible test
// provider. Point a model role at it with SOMA_MODELS_CHAT_PROVIDER=stub (conf/model_providers.yaml).
import { parseArgs } from "node:util";
import { startStubProvider } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.SOMA_STUB_PORT ?? "18090" },
    host: { type: "string", default: "127.0.0.1" },
    "api-key": { type: "string" },
  },
});
const stub = await startStubProvider({
  port: Number(values.port),
  host: values.host,
  ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
});
console.log(`SomaAgent test provider on ${stub.url} (models: GET ${stub.url}/models)`);
const stop = () => void stub.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
