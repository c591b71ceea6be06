// The gateway's first import (server/index.ts): tracing starts before any other module loads.
import { startTracing } from "../lib/tracing/start";

startTracing("somaagent-gateway");
