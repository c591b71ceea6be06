// `npm run provider:stub [-- --port 18090] [--api-key KEY]`: the offline OpenAI-compatible test
// provider. Point a model role at it with SOMA_MODELS_CHAT_PROVIDER=stub (conf/model_providers.yaml).
// `--loop-delay`: on SIGUSR2, print how late the event loop ran since the last report (benchmarks
// run the provider in its own process and print that beside their figures).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startStubProvider } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.SOMA_STUB_PORT ?? "18090" },
    host: { type: "string", default: "127.0.0.1" },
    "api-key": { type: "string" },
    "loop-delay": { type: "boolean", default: false },
  },
});
const stub = await startStubProvider({
  port: Number(values.port),
  host: values.host,
  ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
});
console.log(`SomaAgent test provider on ${stub.url} (models: GET ${stub.url}/models)`);
if (values["loop-delay"]) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // Milliseconds late beyond the 10 ms sampling interval.
  const ms = (ns: number) => Number(Math.max(0, ns / 1e6 - 10).toFixed(1));
  process.on("SIGUSR2", () => {
    console.log(
      `loop-delay ${JSON.stringify({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) })}`,
    );
    h.reset();
  });
}
const stop = () => void stub.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
