{{/* The chart's Secret: once for the release, once as a hook for the migration job (which runs before
     the release's own resources exist). (dict "ctx" $ "name" "..." "hook" bool) */}}
{{- define "somaagent.secret" -}}
{{- $v := .ctx.Values }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "somaagent.labels" .ctx | nindent 4 }}
  {{- if .hook }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-10"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
  {{- end }}
type: Opaque
stringData:
  DATABASE_URL: {{ $v.database.url | quote }}
  REDIS_URL: {{ $v.redis.url | quote }}
  {{- with $v.kafka.sasl.password }}
  SOMA_KAFKA_SASL_PASSWORD: {{ . | quote }}
  {{- end }}
  {{- range $k, $val := $v.secrets.values }}
  {{ $k }}: {{ $val | quote }}
  {{- end }}
{{- end }}

{{/* conf/tenants.yaml and conf/model_providers.yaml, from values or the chart's files. */}}
{{- define "somaagent.confMap" -}}
{{- $v := .ctx.Values }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  labels:
    {{- include "somaagent.labels" .ctx | nindent 4 }}
  {{- if .hook }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-10"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
  {{- end }}
data:
  tenants.yaml: |-
    {{- $v.conf.tenants | default (.ctx.Files.Get "files/tenants.yaml") | nindent 4 }}
  model_providers.yaml: |-
    {{- $v.conf.modelProviders | default (.ctx.Files.Get "files/model_providers.yaml") | nindent 4 }}
{{- end }}
