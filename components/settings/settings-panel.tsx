"use client";
// The settings panel: Models, Speech and Agent, each field with its source and lock; Save sends
// only what changed and shows the server's answer next to the fields. Used as the /settings page
// and as the quick dialog from the chat.
import { useEffect, useState } from "react";
import { api } from "@/lib/client/api";
import { asText, useSettings } from "@/lib/client/use-settings";
import { FIELDS, type FieldSpec } from "@/lib/settings/fields";
import { PROVIDER_GROUPS } from "@/lib/config/provider-groups";
import { ConnectionTest } from "./connection-test";
import { Field } from "./field";
import { MicrophonePicker } from "./microphone";
import { VoiceSample } from "./voice-sample";
import styles from "./settings.module.css";

const SECTIONS = [
  { id: "models", label: "Models" },
  { id: "speech", label: "Speech" },
  { id: "agent", label: "Agent" },
] as const;
type SectionId = (typeof SECTIONS)[number]["id"];

function groupsOf(section: SectionId): [string, FieldSpec[]][] {
  const groups = new Map<string, FieldSpec[]>();
  for (const f of FIELDS.filter((x) => x.section === section)) {
    if (!groups.has(f.group)) groups.set(f.group, []);
    groups.get(f.group)!.push(f);
  }
  return [...groups];
}

/** The provider-backed prefix of a group of fields, if it has one (for "Test connection"). */
const prefixOf = (fields: FieldSpec[]) =>
  PROVIDER_GROUPS.find((g) => fields.some((f) => f.key === `${g.prefix}.provider`))?.prefix;

export function SettingsPanel({ compact = false }: { compact?: boolean }) {
  const s = useSettings();
  const [section, setSection] = useState<SectionId>("models");
  const [tools, setTools] = useState<string[]>([]);
  useEffect(() => {
    // /settings#speech opens that tab (links such as the chat's offline banner point at a tab).
    const fromHash = SECTIONS.find((x) => `#${x.id}` === window.location.hash);
    if (fromHash) setSection(fromHash.id);
  }, []);
  useEffect(() => {
    api<{ items: { name: string }[] }>("/api/v1/tools")
      .then((r) => setTools(r.items.map((t) => t.name)))
      .catch(() => setTools([]));
  }, []);

  if (s.loadError)
    return (
      <p role="alert" className={styles.error}>
        {s.loadError}
      </p>
    );
  if (!s.view) return <p role="status">Loading settings…</p>;

  const onTabKey = (e: React.KeyboardEvent, i: number) => {
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
    if (next === null) return;
    const target = SECTIONS[(next + SECTIONS.length) % SECTIONS.length]!;
    setSection(target.id);
    document.getElementById(`tab-${target.id}`)?.focus();
  };

  return (
    <form
      className={styles.panel}
      data-compact={compact}
      onSubmit={(e) => {
        e.preventDefault();
        void s.save();
      }}
    >
      <div role="tablist" aria-label="Settings sections" className={styles.tabs}>
        {SECTIONS.map((sec, i) => (
          <button
            key={sec.id}
            id={`tab-${sec.id}`}
            type="button"
            role="tab"
            aria-selected={section === sec.id}
            aria-controls={`panel-${sec.id}`}
            tabIndex={section === sec.id ? 0 : -1}
            onClick={() => setSection(sec.id)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {sec.label}
          </button>
        ))}
      </div>

      <div
        id={`panel-${section}`}
        role="tabpanel"
        aria-labelledby={`tab-${section}`}
        className={styles.sectionBody}
      >
        {section === "speech" && (
          <fieldset className={styles.group}>
            <legend>This browser</legend>
            <MicrophonePicker />
          </fieldset>
        )}
        {groupsOf(section).map(([group, fields]) => {
          const prefix = prefixOf(fields);
          const voiceKey = fields.find((f) => f.kind === "voice" && f.key.startsWith("speech.tts"))?.key;
          return (
            <fieldset key={group} className={styles.group}>
              <legend>{group}</legend>
              <div className={styles.grid}>
                {fields.map((f) => (
                  <Field key={f.key} spec={f} s={s} tools={tools} />
                ))}
              </div>
              {voiceKey && <VoiceSample voice={asText(s.value(voiceKey))} />}
              {prefix && <ConnectionTest prefix={prefix} s={s} />}
            </fieldset>
          );
        })}
      </div>

      <div className={styles.saveBar}>
        {s.dirty && (
          <span className={styles.unsaved} data-testid="unsaved">
            Unsaved changes ({Object.keys(s.draft).length})
          </span>
        )}
        {s.saveResult && (
          <span
            role="status"
            className={s.saveResult.ok ? styles.ok : styles.error}
            data-testid="save-result"
          >
            {s.saveResult.message}
          </span>
        )}
        <span className={styles.spacer} />
        <button
          type="button"
          className={styles.secondary}
          onClick={s.discard}
          disabled={!s.dirty || s.saving}
        >
          Discard
        </button>
        <button type="submit" className={styles.primary} disabled={!s.dirty || s.invalid || s.saving}>
          {s.saving ? "Saving…" : "Save"}
        </button>
      </div>
      {!compact && (
        <p className={styles.help}>
          Saved to <code>{s.view.file}</code> and applied at once on every server. A setting with a lock is
          set by an environment variable, which always wins; unset it to change the setting here.
        </p>
      )}
    </form>
  );
}
