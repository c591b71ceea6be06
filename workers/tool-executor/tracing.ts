// The executor's first import (index.ts): tracing starts before any other module loads.
import { startTracing } from "../../lib/tracing/start";

startTracing("somaagent-tool-executor");
