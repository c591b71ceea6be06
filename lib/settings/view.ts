// What GET /api/v1/settings answers, shared by the server (lib/settings/service.ts) and the panel
// (lib/client/use-settings.ts): one definition, so the two cannot drift apart.

export interface FieldState {
  value?: unknown;
  /** Secret fields: whether a key is available (from its variable or stored). */
  set?: boolean;
  source: string | null;
  origin: string | null;
  locked: boolean;
  /** The environment variable that locks it. */
  lockedBy?: string;
  /** Number fields: the bounds the settings schema enforces. */
  min?: number;
  max?: number;
}

export interface ProviderInfo {
  label: string;
  baseUrl: string;
  apiKeyEnv: string;
  keyRequired: boolean;
  models: Record<string, string>;
  voices: string[];
}

export interface SettingsView {
  fields: Record<string, FieldState>;
  providers: Record<string, ProviderInfo>;
  file: string;
}
