#!/usr/bin/env bash
# make dev-up: the whole stack on this machine, natively (no Docker engine needed).
#   validate tools → reserve ports → stop leftovers → postgres, redis, kafka, openfga, opa (healthy)
#   → one-shot migrations (Prisma, OpenFGA, Kafka topics, OPA policies) → seed
#   → the offline demo model, when no chat provider can be used and none was chosen
#   → gateway (UI, hot reload), tool executor, scheduler under one supervisor (scripts/supervisor.ts:
#     a crashed process is restarted with backoff) → "Stack started" with the chat model in use.
# SOMA_FRESH=1 restarts the backing services too; SOMA_SERVER_UI=false runs the gateway headless.
# SOMA_MONITORING=1 also starts Prometheus (scripts/services/prometheus.sh, docs/operations.md).
# SOMA_TRACING=1 also starts Jaeger and has every app process send it a trace per turn
# (scripts/services/jaeger.sh, docs/operations.md "Tracing").
source "$(dirname "$0")/lib-app.sh"
started_at=$SECONDS
cd "$ROOT"

check_tools
speech_profile=0
case ",${COMPOSE_PROFILES:-}," in
  *,speech,*) speech_profile=1 ;;
esac

# Leftovers of an earlier run: app processes always, backing services when asked or when unhealthy.
for app in supervisor scheduler tool-executor gateway offline-provider; do stop_service "$app"; done
if [ "${SOMA_FRESH:-0}" = "1" ]; then "$ROOT/scripts/services/down.sh"; fi
reserve_port gateway "$GATEWAY_PORT" PORT

ensure_node_modules
"$ROOT/scripts/services/up.sh"

service_env
export PORT="$GATEWAY_PORT"
export SOMA_SERVER_PUBLIC_URL="${SOMA_SERVER_PUBLIC_URL:-http://localhost:$GATEWAY_PORT}"

log "running one-shot migrations"
npx tsx scripts/migrate.ts || die "migrations failed; the stack was not started"
creds="$(npx tsx scripts/seed.ts)" || die "seeding the default tenant failed"
json_field() { node -e 'const o=JSON.parse(process.argv[1]); process.stdout.write(String(o[process.argv[2]]))' "$1" "$2"; }

# With no key for the chat provider (or the speech services) and no provider chosen (env, settings,
# tenants.yaml), those roles fall back to the project's offline provider: start it as one more
# managed process. COMPOSE_PROFILES=speech starts it in any case (offline speech engines, natively).
# A key or a provider configured later (env on the next run, or the settings panel at once) wins.
offline_url="${SOMA_OFFLINE_BASE_URL:-http://127.0.0.1:$OFFLINE_PORT/v1}"
chat="$(SOMA_OFFLINE_BASE_URL="$offline_url" npx tsx scripts/chat-model.ts)" || die "the configuration is invalid (see above)"
offline_program=""
if [ "$(json_field "$chat" offline)" = "true" ] || [ "$(json_field "$chat" offlineSpeech)" = "true" ] \
  || [ "$speech_profile" = 1 ]; then
  if [ -z "${SOMA_OFFLINE_BASE_URL:-}" ]; then
    reserve_port offline-provider "$OFFLINE_PORT" SOMA_OFFLINE_PORT
    offline_program='{ "name": "offline-provider", "command": ["node", "--import", "tsx", "server/offline-provider/main.ts", "--port", "'"$OFFLINE_PORT"'"] },'
  fi
  export SOMA_OFFLINE_BASE_URL="$offline_url"
fi

# Tracing: Jaeger first, so the app processes (started below with this environment) export to it.
tracing_line="off (SOMA_TRACING=1 make dev-up starts Jaeger and traces every turn)"
if [ "${SOMA_TRACING:-0}" = "1" ]; then
  "$ROOT/scripts/services/jaeger.sh" start
  export OTEL_EXPORTER_OTLP_ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT}"
  tracing_line="Jaeger http://127.0.0.1:$JAEGER_QUERY_PORT   (traces: /api/traces?service=somaagent-gateway)"
fi

# One supervisor runs the app processes and restarts any that exits (scripts/supervisor.ts). The
# gateway's server code reloads on change through it (the UI through Next's own hot reload).
export NODE_ENV=development
json_string() { node -p 'JSON.stringify(process.argv[1])' "$1"; }
cat >"$RUN_DIR/supervisor.json" <<JSON
{
  "logDir": $(json_string "$LOG_DIR"),
  "runDir": $(json_string "$RUN_DIR"),
  "programs": [
    $offline_program
    { "name": "gateway", "command": ["node", "--import", "tsx", "server/index.ts"],
      "watch": ["server", "lib"], "ignore": ["lib/client", "lib/generated"] },
    { "name": "tool-executor", "command": ["node", "--import", "tsx", "workers/tool-executor/index.ts"] },
    { "name": "scheduler", "command": ["node", "--import", "tsx", "workers/scheduler/index.ts"] }
  ]
}
JSON
spawn supervisor node scripts/supervisor.ts "$RUN_DIR/supervisor.json"
if [ -n "$offline_program" ]; then
  wait_for offline-provider 60 http_ok "http://127.0.0.1:$OFFLINE_PORT/healthz"
  ok "offline provider on :$OFFLINE_PORT (chat, speech to text and text to speech without a key)"
fi
wait_for gateway 120 http_ok "http://127.0.0.1:$GATEWAY_PORT/readyz"
wait_for tool-executor 60 grep -q '"tool executor ready"' "$LOG_DIR/tool-executor.log"
wait_for scheduler 60 grep -q '"scheduler ready"' "$LOG_DIR/scheduler.log"
monitoring_line="off (SOMA_MONITORING=1 make dev-up starts Prometheus)"
if [ "${SOMA_MONITORING:-0}" = "1" ]; then
  "$ROOT/scripts/services/prometheus.sh" start
  monitoring_line="http://127.0.0.1:$PROMETHEUS_PORT   (alerts: /alerts, targets: /targets)"
else
  "$ROOT/scripts/services/prometheus.sh" stop # one left from a monitored run would report us down
fi
# Compile the home page now, so the first browser visit is quick.
curl -fsS -o /dev/null --max-time 120 "http://127.0.0.1:$GATEWAY_PORT/" || true

field() { json_field "$creds" "$1"; }
if [ "$(json_field "$chat" offline)" = "true" ]; then
  chat_line="Offline demo model (scripted answers; no provider key is set)
               switch: OPENAI_API_KEY=sk-… make dev-up, or Settings → Models in the UI (no restart)"
else
  chat_line="$(json_field "$chat" label) · $(json_field "$chat" model)   (from $(json_field "$chat" origin))
               switch: Settings → Models in the UI, or SOMA_MODELS_CHAT_PROVIDER / _NAME (see .env.example)"
fi
if [ "$(json_field "$chat" offlineSpeech)" = "true" ]; then
  voice_line="offline engines (espeak-ng speaks, pocketsphinx listens): press the microphone in the chat"
else
  voice_line="the speech providers in Settings → Speech: press the microphone in the chat"
fi
cat <<MSG

${C_OK}Stack started${C_RST} in $((SECONDS - started_at))s
  UI + API     http://localhost:$GATEWAY_PORT        (readiness: /readyz, metrics: /metrics)
  Postgres     127.0.0.1:$POSTGRES_PORT  db $POSTGRES_DB, user $POSTGRES_USER
  Redis        127.0.0.1:$REDIS_PORT
  Kafka        127.0.0.1:$KAFKA_PORT  (KRaft, topics somastack.tools, somastack.tool-results, somastack.tools.dlq)
  OpenFGA      http://127.0.0.1:$OPENFGA_HTTP_PORT
  OPA          http://127.0.0.1:$OPA_PORT
  Prometheus   $monitoring_line
  Tracing      $tracing_line
  Logs         $LOG_DIR/<service>.log   (make dev-logs to follow them all)
  Chat model   $chat_line
  Voice        $voice_line
  Dev login    $(field email) / $(field password)   (tenant: $(field tenant))
  API token    $(field token)
               curl -H "Authorization: Bearer $(field token)" http://localhost:$GATEWAY_PORT/api/v1/me
  Stop         make dev-down     Wipe local data: make dev-clean
MSG
