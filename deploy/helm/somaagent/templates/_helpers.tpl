{{/* Names and labels */}}
{{- define "somaagent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "somaagent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "somaagent.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "somaagent.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "somaagent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "somaagent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "gateway") */}}
{{- define "somaagent.selector" -}}
app.kubernetes.io/name: {{ include "somaagent.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "somaagent.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "somaagent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "somaagent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "somaagent.secretName" -}}
{{- default (include "somaagent.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "somaagent.publicUrl" -}}
{{- if .Values.publicUrl }}
{{- .Values.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}
{{- printf "https://%s" .Values.ingress.host }}
{{- else }}
{{- fail "publicUrl is required (the browser origin), or ingress.enabled with ingress.host" }}
{{- end }}
{{- end }}

{{/* What the values must say before anything renders: each missing piece named. */}}
{{- define "somaagent.validate" -}}
{{- if not .Values.secrets.existingSecret }}
{{- if not .Values.database.url }}{{ fail "database.url is required (or DATABASE_URL in secrets.existingSecret)" }}{{ end }}
{{- if not .Values.redis.url }}{{ fail "redis.url is required (or REDIS_URL in secrets.existingSecret)" }}{{ end }}
{{- if and .Values.kafka.sasl.mechanism (not .Values.kafka.sasl.password) }}{{ fail "kafka.sasl.mechanism needs kafka.sasl.password (or SOMA_KAFKA_SASL_PASSWORD in secrets.existingSecret)" }}{{ end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.secrets.values.SOMA_SERVER_METRICS_TOKEN) }}{{ fail "metrics.serviceMonitor needs secrets.values.SOMA_SERVER_METRICS_TOKEN: the gateway serves /metrics to other hosts only with that bearer token" }}{{ end }}
{{- end }}
{{- if not .Values.openfga.apiUrl }}{{ fail "openfga.apiUrl is required" }}{{ end }}
{{- if not .Values.opa.url }}{{ fail "opa.url is required" }}{{ end }}
{{- if and (or .Values.kafka.enabled (eq .Values.bus.transport "kafka")) (not .Values.kafka.brokers) }}{{ fail "kafka.brokers is required while kafka.enabled or bus.transport is kafka" }}{{ end }}
{{- if and .Values.kafka.sasl.mechanism (not .Values.kafka.sasl.username) }}{{ fail "kafka.sasl.mechanism needs kafka.sasl.username" }}{{ end }}
{{- if and .Values.kafka.tls.existingSecret (not .Values.kafka.tls.enabled) }}{{ fail "kafka.tls.existingSecret needs kafka.tls.enabled" }}{{ end }}
{{- if ne (empty .Values.kafka.tls.certKey) (empty .Values.kafka.tls.keyKey) }}{{ fail "kafka.tls.certKey and kafka.tls.keyKey go together (mutual TLS)" }}{{ end }}
{{- if and (eq .Values.executor.sandbox.mode "privileged") (not .Values.executor.sandbox.privilegedReason) }}{{ fail "executor.sandbox.mode=privileged needs executor.sandbox.privilegedReason (why pod user namespaces cannot be used here)" }}{{ end }}
{{- if not (has .Values.executor.sandbox.mode (list "userns" "privileged")) }}{{ fail "executor.sandbox.mode is userns or privileged" }}{{ end }}
{{- if not (has .Values.executor.autoscaling.mode (list "none" "hpa" "keda")) }}{{ fail "executor.autoscaling.mode is none, hpa or keda" }}{{ end }}
{{- end }}

{{/* Environment every process shares: settings by their SOMA_* names (.env.example). */}}
{{- define "somaagent.env" -}}
- name: NODE_ENV
  value: production
- name: SOMA_SERVER_PUBLIC_URL
  value: {{ include "somaagent.publicUrl" . | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: SOMA_DATABASE_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: SOMA_BUS_TRANSPORT
  value: {{ .Values.bus.transport | quote }}
- name: SOMA_KAFKA_ENABLED
  value: {{ .Values.kafka.enabled | quote }}
{{- with .Values.kafka.brokers }}
- name: KAFKA_BROKERS
  value: {{ join "," . | quote }}
{{- end }}
- name: SOMA_KAFKA_CLIENT_ID
  value: {{ .Values.kafka.clientId | quote }}
- name: SOMA_KAFKA_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
- name: SOMA_KAFKA_TOPIC_PARTITIONS
  value: {{ .Values.kafka.topicPartitions | quote }}
- name: SOMA_KAFKA_TOPIC_REPLICATION_FACTOR
  value: {{ .Values.kafka.topicReplicationFactor | quote }}
- name: SOMA_KAFKA_SSL
  value: {{ .Values.kafka.tls.enabled | quote }}
{{- if .Values.kafka.tls.existingSecret }}
{{- if .Values.kafka.tls.caKey }}
- name: SOMA_KAFKA_SSL_CA_FILE
  value: /etc/somaagent/kafka-tls/{{ .Values.kafka.tls.caKey }}
{{- end }}
{{- if .Values.kafka.tls.certKey }}
- name: SOMA_KAFKA_SSL_CERT_FILE
  value: /etc/somaagent/kafka-tls/{{ .Values.kafka.tls.certKey }}
- name: SOMA_KAFKA_SSL_KEY_FILE
  value: /etc/somaagent/kafka-tls/{{ .Values.kafka.tls.keyKey }}
{{- end }}
{{- end }}
{{- with .Values.kafka.sasl.mechanism }}
- name: SOMA_KAFKA_SASL_MECHANISM
  value: {{ . | quote }}
- name: SOMA_KAFKA_SASL_USERNAME
  value: {{ $.Values.kafka.sasl.username | quote }}
{{- end }}
- name: OPENFGA_API_URL
  value: {{ .Values.openfga.apiUrl | quote }}
- name: SOMA_OPENFGA_STORE_NAME
  value: {{ .Values.openfga.storeName | quote }}
- name: OPA_URL
  value: {{ .Values.opa.url | quote }}
- name: SOMA_CONF_DIR
  value: /etc/somaagent/conf
# The settings file is this host's copy of the shared document in Postgres: per pod, rewritten at start.
- name: SOMA_SETTINGS_FILE
  value: /app/tmp/settings.json
# npx writes its cache and logs under HOME, which is read-only here.
- name: NPM_CONFIG_CACHE
  value: /tmp/.npm
{{- with .Values.tracing.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{- define "somaagent.envFrom" -}}
- secretRef:
    name: {{ include "somaagent.secretName" . }}
{{- end }}

{{/* Volumes every process mounts: conf, the writable tmp dirs, the Kafka TLS files. */}}
{{- define "somaagent.volumes" -}}
- name: conf
  configMap:
    name: {{ include "somaagent.fullname" . }}-conf
- name: tmp
  emptyDir: {}
- name: app-tmp
  emptyDir: {}
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "somaagent.volumeMounts" -}}
- name: conf
  mountPath: /etc/somaagent/conf
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: app-tmp
  mountPath: /app/tmp
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: /etc/somaagent/kafka-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* The unprivileged container: user node (1000) of the image, nothing added. */}}
{{- define "somaagent.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* Annotations that roll the pods when the configuration or the chart's Secret changes. */}}
{{- define "somaagent.checksums" -}}
checksum/conf: {{ include (print $.Template.BasePath "/configmap-conf.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}
