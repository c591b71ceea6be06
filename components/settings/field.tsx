"use client";
// One settings field: label, input, help line, where its value comes from, the lock when an
// environment variable sets it, and its error.
import type { FieldSpec } from "@/lib/settings/fields";
import { asText, type SettingsState } from "@/lib/client/use-settings";
import styles from "./settings.module.css";

const SOURCE_TEXT: Record<string, string> = {
  env: "environment",
  settings: "saved here",
  tenant: "tenants.yaml",
  providers: "provider default",
  offline: "default (offline)",
  default: "built-in default",
};

export function Field({ spec, s, tools }: { spec: FieldSpec; s: SettingsState; tools: string[] }) {
  const state = s.view?.fields[spec.key];
  if (!state) return null;
  const id = `f-${spec.key.replaceAll(".", "-")}`;
  const error = s.errors[spec.key];
  const value = s.value(spec.key);
  const changed = spec.key in s.draft;
  const describedBy = [`${id}-help`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const common = {
    id,
    disabled: state.locked,
    "aria-invalid": Boolean(error),
    "aria-describedby": describedBy,
  };

  let input: React.ReactNode;
  switch (spec.kind) {
    case "select":
      input = (
        <select {...common} value={asText(value)} onChange={(e) => s.set(spec.key, e.target.value)}>
          {spec.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case "provider": {
      const providers = s.view!.providers;
      input = (
        <select
          {...common}
          value={asText(value)}
          onChange={(e) => {
            const name = e.target.value;
            s.set(spec.key, name);
            // A provider choice fills in its address, key variable, suggested model and voice.
            const p = providers[name];
            const fill = (key: string | undefined, v: string | undefined) => {
              if (key && v !== undefined && !s.view!.fields[key]?.locked) s.set(key, v);
            };
            if (p && spec.fills) {
              fill(spec.fills.baseUrl, p.baseUrl);
              fill(spec.fills.apiKeyEnv, p.apiKeyEnv);
              fill(spec.fills.model?.key, p.models[spec.fills.model?.suggest ?? ""]);
              fill(spec.fills.voice, p.voices[0]);
            }
          }}
        >
          {Object.entries(providers).map(([name, p]) => (
            <option key={name} value={name}>
              {p.label}
            </option>
          ))}
        </select>
      );
      break;
    }
    case "voice": {
      const providerKey = spec.key.replace(/\.voice$/, ".provider");
      const voices = s.view!.providers[asText(s.value(providerKey))]?.voices ?? [];
      input = (
        <>
          <input
            {...common}
            list={`${id}-list`}
            value={asText(value)}
            onChange={(e) => s.set(spec.key, e.target.value)}
          />
          <datalist id={`${id}-list`}>
            {voices.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </>
      );
      break;
    }
    case "boolean":
      input = (
        <input
          {...common}
          type="checkbox"
          checked={Boolean(value)}
          onChange={(e) => s.set(spec.key, e.target.checked)}
        />
      );
      break;
    case "number":
      input = (
        <input
          {...common}
          type="number"
          inputMode="decimal"
          min={state.min}
          max={state.max}
          step={spec.step ?? "any"}
          value={typeof value === "number" && !Number.isNaN(value) ? value : ""}
          onChange={(e) => s.set(spec.key, e.target.value === "" ? Number.NaN : Number(e.target.value))}
        />
      );
      break;
    case "textarea":
    case "json":
      input = (
        <textarea
          {...common}
          rows={spec.kind === "json" ? 2 : 4}
          spellCheck={spec.kind !== "json"}
          value={asText(value)}
          onChange={(e) => s.set(spec.key, e.target.value)}
        />
      );
      break;
    case "secret":
      input = (
        <input
          {...common}
          type="password"
          autoComplete="off"
          placeholder={
            state.set ? "•••••••• (a key is set)" : state.set === false ? "not set" : "shown to admins only"
          }
          value={asText(s.draft[spec.key])}
          onChange={(e) => s.set(spec.key, e.target.value)}
        />
      );
      break;
    case "tools": {
      const allowed = (value as string[] | undefined) ?? [];
      const choosable = tools.filter((t) => t !== "response");
      const on = (t: string) => allowed.length === 0 || allowed.includes(t);
      input = (
        <div className={styles.tools} role="group" aria-labelledby={`${id}-label`}>
          {choosable.map((t) => (
            <label key={t} className={styles.check}>
              <input
                type="checkbox"
                disabled={state.locked}
                checked={on(t)}
                onChange={(e) => {
                  const current = choosable.filter(on);
                  const next = e.target.checked ? [...current, t] : current.filter((x) => x !== t);
                  // All of them is stored as "no restriction"; none keeps only the final answer.
                  s.set(spec.key, next.length === choosable.length ? [] : next.length ? next : ["response"]);
                }}
              />
              {t}
            </label>
          ))}
        </div>
      );
      break;
    }
    default:
      input = (
        <input
          {...common}
          type={spec.kind === "url" ? "url" : "text"}
          value={asText(value)}
          onChange={(e) => s.set(spec.key, e.target.value)}
        />
      );
  }

  return (
    <div className={styles.field} data-field={spec.key} data-changed={changed}>
      <div className={styles.labelRow}>
        <label id={`${id}-label`} htmlFor={spec.kind === "tools" ? undefined : id}>
          {spec.label}
        </label>
        {state.locked ? (
          <span className={styles.lock} title={state.origin ?? undefined}>
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden>
              <path
                d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2M3.5 7h9v7h-9z"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.4"
              />
            </svg>
            {state.lockedBy ? `Locked by ${state.lockedBy}` : "Locked by the environment"}
          </span>
        ) : (
          state.source && (
            <span className={styles.source} data-source={state.source} title={state.origin ?? undefined}>
              {changed ? "unsaved" : SOURCE_TEXT[state.source]}
            </span>
          )
        )}
      </div>
      {input}
      <p id={`${id}-help`} className={styles.help}>
        {spec.help}
      </p>
      {error && (
        <p id={`${id}-error`} className={styles.error} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
