// OpenFGA client bound to our store (found by name) and its latest authorization model.
import { OpenFgaClient } from "@openfga/sdk";
import { singleton } from "../singleton";
import { getConfig } from "../config";

export interface FgaHandle {
  client: OpenFgaClient;
  storeId: string;
  modelId: string;
}

export async function findStore(apiUrl: string, storeName: string): Promise<string | undefined> {
  const client = new OpenFgaClient({ apiUrl });
  let token: string | undefined;
  do {
    const page = await client.listStores({ pageSize: 100, ...(token ? { continuationToken: token } : {}) });
    const hit = page.stores.find((s) => s.name === storeName);
    if (hit) return hit.id;
    token = page.continuation_token || undefined;
  } while (token);
  return undefined;
}

export async function connectFga(apiUrl: string, storeName: string): Promise<FgaHandle> {
  const storeId = await findStore(apiUrl, storeName);
  if (!storeId)
    throw new Error(`OpenFGA store "${storeName}" does not exist; run the migration job (npm run migrate)`);
  const scoped = new OpenFgaClient({ apiUrl, storeId });
  const models = await scoped.readAuthorizationModels({ pageSize: 1 });
  const modelId = models.authorization_models[0]?.id;
  if (!modelId)
    throw new Error(`OpenFGA store "${storeName}" has no authorization model; run npm run migrate`);
  // One quick retry, not the SDK's default of several with backoff: when OpenFGA is down, callers
  // must get their answer (a refusal) within about a second, not after many.
  const client = new OpenFgaClient({
    apiUrl,
    storeId,
    authorizationModelId: modelId,
    retryParams: { maxRetry: 1, minWaitInMs: 50 },
  });
  return { client, storeId, modelId };
}

/** The process's handle; resolved on first use and retried after a failure. */
export function fga(): Promise<FgaHandle> {
  const holder = singleton("openfga", () => ({ pending: undefined as Promise<FgaHandle> | undefined }));
  if (!holder.pending) {
    const { apiUrl, storeName } = getConfig().settings.openfga;
    holder.pending = connectFga(apiUrl, storeName).catch((err: unknown) => {
      holder.pending = undefined;
      throw err;
    });
  }
  return holder.pending;
}
