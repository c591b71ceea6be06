// A gateway and a BullMQ executor on the offline provider, as the realtime tests start them.
import type { StubServer } from "@/server/offline-provider/server";
import { startGateway, type GatewayProcess } from "./chat";
import { startExecutor, type ExecutorProcess } from "./executor";
import { realtimeStubEnv } from "./realtime-env";

/** A gateway and a BullMQ executor on the offline provider `stub` (realtimeStubEnv, plus `extra`). */
export async function startRealtimeStack(
  stub: StubServer,
  key: string,
  extra: Record<string, string> = {},
): Promise<{ executor: ExecutorProcess; gateway: GatewayProcess; base: string }> {
  const env = { ...realtimeStubEnv(stub.url, key), ...extra };
  const [executor, { gateway, base }] = await Promise.all([
    startExecutor("bullmq", env),
    startGateway(stub, env),
  ]);
  return { executor, gateway, base };
}
